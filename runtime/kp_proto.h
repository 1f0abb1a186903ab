/* kp_proto.h — Kafka API keys, the versions kprod speaks, request/response
 * headers and the zero-copy request frame shared by every kp_proto_* codec. */
#ifndef KP_PROTO_H
#define KP_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kp_buf.h"

/* API keys, numbered as in the protocol guide. */
enum {
    KP_API_PRODUCE = 0,
    KP_API_METADATA = 3,
    KP_API_API_VERSIONS = 18,
    KP_API_INIT_PRODUCER_ID = 22,
};

/* The version ranges kprod can encode and decode. */
enum {
    KP_PRODUCE_MIN_VERSION = 3,
    KP_PRODUCE_MAX_VERSION = 10,
    KP_METADATA_MIN_VERSION = 1,
    KP_METADATA_MAX_VERSION = 12,
    KP_API_VERSIONS_MIN_VERSION = 0,
    KP_API_VERSIONS_MAX_VERSION = 3,
    KP_INIT_PRODUCER_ID_MIN_VERSION = 0,
    KP_INIT_PRODUCER_ID_MAX_VERSION = 4,
};

/* Return codes of every kp_proto_* encoder and decoder. */
enum {
    KP_PROTO_OK = 0,
    KP_PROTO_EMALFORMED = -1, /* bytes do not match the schema, or bad input to an encoder */
    KP_PROTO_EVERSION = -2,   /* version outside what kprod speaks for that API */
    KP_PROTO_ENOMEM = -3,
};

/* Where and why a codec failed. Every pointer is a static string, so an
 * error can be kept, copied and logged without ownership questions. */
typedef struct kp_proto_err {
    const char *msg;   /* "truncated", "array count past end of frame", ... */
    const char *api;   /* "Metadata" */
    int16_t version;
    const char *field; /* protocol-guide name of the field being handled, or NULL */
    size_t offset;     /* decoders: body offset where that field starts */
} kp_proto_err;

/* Writes e.g. "Metadata v9: truncated at offset 37 (partitions.leader_id)"
 * into buf (always NUL-terminated when size > 0) and returns buf. */
const char *kp_proto_err_format(const kp_proto_err *e, char *buf, size_t size);

/* "Produce", "Metadata", ... or "Unknown". */
const char *kp_proto_api_name(int16_t api_key);
/* Our supported range for api_key; returns 0, or -1 for an API kprod does
 * not speak. */
int kp_proto_version_range(int16_t api_key, int16_t *min_version, int16_t *max_version);
/* 1 if the request (header v2 + compact body) is flexible at this version, 0
 * if not, -1 if kprod does not speak api_key at that version. */
int kp_proto_request_flexible(int16_t api_key, int16_t version);
/* 1 if the response header is v1 (carries tagged fields), 0 for v0, -1 as
 * above. ApiVersions responses always use header v0, even at v3, so that a
 * client can read the header of any version's answer. */
int kp_proto_response_flexible(int16_t api_key, int16_t version);

/* Reads ResponseHeader v0 (correlation_id) or v1 (+ tagged fields) and leaves
 * the reader at the start of the body. Returns 0, or -1 with r->err set. */
int kp_proto_response_header(kp_reader *r, int flexible, int32_t *correlation_id);

/* Topic IDs are 16 raw bytes; all zero means "no id". */
typedef struct kp_uuid {
    uint8_t bytes[16];
} kp_uuid;

/* A broker address as Metadata brokers and Produce v10 NodeEndpoints carry it.
 * Strings are NUL-terminated and owned by the response they came in. */
typedef struct kp_proto_node {
    int32_t node_id;
    char *host;
    int32_t port;
    char *rack; /* NULL when the broker has no rack */
} kp_proto_node;

/* Backing memory of a decoded response: every array and string in it lives
 * here and goes with one free. */
typedef struct kp_proto_arena {
    struct kp_proto_block *head;
} kp_proto_arena;

/* A request frame: header+body bytes in `head`, with record sets spliced in by
 * reference (never copied) at given offsets, so the connection can writev()
 * them. The 4-byte Size prefix is included at head[0..4) and counts the
 * splices. */
typedef struct kp_splice {
    size_t at;          /* offset in head before which the splice goes */
    const uint8_t *ptr; /* borrowed: must outlive the write of the frame */
    size_t len;
} kp_splice;

typedef struct kp_frame {
    kp_buf head;
    kp_splice *splices;
    int nsplices, cap_splices;
    size_t total_len; /* head + splices, Size prefix included; set by kp_frame_end */
} kp_frame;

void kp_frame_init(kp_frame *f);
/* Empties the frame, keeping its memory for the next request. */
void kp_frame_reset(kp_frame *f);
void kp_frame_free(kp_frame *f);
/* Resets f, then writes the Size placeholder and RequestHeader v1, or v2 (with
 * an empty tagged-field section) when the API is flexible at `version`.
 * client_id may be NULL; it stays a non-compact STRING in both header versions.
 * Returns 0, KP_PROTO_EVERSION for an API/version kprod does not speak, or
 * KP_PROTO_EMALFORMED for a client_id longer than 32767 bytes. */
int kp_frame_begin(kp_frame *f, int16_t api_key, int16_t version, int32_t correlation_id,
                   const char *client_id);
/* Appends len bytes at ptr to the frame by reference, after what head holds
 * now. The caller keeps ptr alive and unchanged until the frame is written or
 * reset. Returns 0 or KP_PROTO_ENOMEM. */
int kp_frame_splice(kp_frame *f, const uint8_t *ptr, size_t len);
/* Patches Size (everything after it, splices included) and sets total_len.
 * Returns 0, KP_PROTO_ENOMEM after any failed write, or KP_PROTO_EMALFORMED
 * when the frame exceeds INT32_MAX bytes. */
int kp_frame_end(kp_frame *f);
/* Most iovec entries kp_frame_iov can need for f. */
static inline int kp_frame_iov_max(const kp_frame *f) { return 2 * f->nsplices + 1; }
/* Fills iov with the frame's bytes in wire order, skipping empty pieces.
 * Returns the number of entries, or -1 when max is too small. */
int kp_frame_iov(const kp_frame *f, struct iovec *iov, int max);

#endif
