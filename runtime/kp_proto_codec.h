/* kp_proto_codec.h — internal helpers of the kp_proto_* codecs: a writer and a
 * reader that remember which protocol field they are on, and the arena that
 * owns a decoded response. Not for use outside runtime/kp_proto_*.c. */
#ifndef KP_PROTO_CODEC_H
#define KP_PROTO_CODEC_H

#include "kp_proto.h"

/* ---- arena ---- */

/* size zeroed bytes owned by the arena, aligned to align (a power of two, at
 * most _Alignof(max_align_t)), or NULL when out of memory. Strings ask for
 * 1 so that a flood of tiny ones costs what it weighs on the wire. */
void *kp_proto_arena_alloc(kp_proto_arena *a, size_t size, size_t align);
/* Frees everything the arena handed out; leaves it empty and reusable. */
void kp_proto_arena_free(kp_proto_arena *a);

/* Fills err for a version outside our range and returns KP_PROTO_EVERSION, or
 * returns 0. */
int kp_proto_check_version(int16_t api_key, int16_t version, kp_proto_err *err);

/* ---- encoder ---- */

/* Writes one request into a frame; the first failure is kept and turns the
 * rest of the encoding into a no-op, so encoders read straight down the
 * schema and check once in kp_enc_end. */
typedef struct kp_enc {
    kp_frame *f;
    kp_buf *b; /* &f->head */
    int flexible;
    kp_proto_err *err; /* may be NULL */
    int failed;        /* a KP_PROTO_* code, 0 while all is well */
} kp_enc;

/* Starts the frame (Size + RequestHeader). Returns 0 or a KP_PROTO_* code with
 * err filled and the frame left empty. */
int kp_enc_begin(kp_enc *e, kp_frame *f, int16_t api_key, int16_t version, int32_t correlation_id,
                 const char *client_id, kp_proto_err *err);
/* Records the first failure (msg is static) against `field`. */
void kp_enc_fail(kp_enc *e, const char *field, const char *msg);
/* STRING / COMPACT_STRING, or their NULLABLE forms; a NULL s where the spec
 * does not allow null, or one longer than 32767 bytes, fails the encoding. */
void kp_enc_str(kp_enc *e, const char *field, const char *s, int nullable);
/* Array length in the version's form; n < 0 writes null, which only nullable
 * arrays accept. */
void kp_enc_array(kp_enc *e, const char *field, int32_t n, int nullable);
static inline void kp_enc_tags(kp_enc *e) {
    if (e->flexible && !e->failed) kp_buf_no_tags(e->b);
}
/* Patches Size. Returns 0, or the first failure's code with err filled and the
 * frame reset so nothing half-written can be sent. */
int kp_enc_end(kp_enc *e);

/* ---- decoder ---- */

typedef struct kp_dec {
    kp_reader r;
    int flexible;
    int oom;
    const char *field; /* field being read, for error messages */
    size_t field_at;
    kp_proto_arena *arena;
} kp_dec;

void kp_dec_init(kp_dec *d, const uint8_t *body, size_t len, int flexible, kp_proto_arena *arena);

static inline void kp_dec_at(kp_dec *d, const char *field) {
    if (d->r.err) return;
    d->field = field;
    d->field_at = kp_rd_offset(&d->r);
}

int16_t kp_dec_i16(kp_dec *d, const char *field);
int32_t kp_dec_i32(kp_dec *d, const char *field);
int64_t kp_dec_i64(kp_dec *d, const char *field);
/* BOOLEAN: any non-zero byte is true, as brokers read it. */
int kp_dec_bool(kp_dec *d, const char *field);
void kp_dec_uuid(kp_dec *d, const char *field, kp_uuid *out);

enum {
    KP_STR_NULLABLE = 1, /* null is allowed and decodes to NULL */
    KP_STR_TEXT = 2,     /* free text: embedded NUL bytes are kept, not rejected */
};
/* A NUL-terminated copy in the arena. Names (no KP_STR_TEXT) with an embedded
 * NUL are rejected: "a\0b" would otherwise silently become "a". */
char *kp_dec_str(kp_dec *d, const char *field, int flags);
/* Element count of a non-nullable array whose elements take at least
 * min_elem_size bytes on the wire; 0 after a failure. */
int32_t kp_dec_array(kp_dec *d, const char *field, size_t min_elem_size);
/* Zeroed room for n elements in the arena (NULL for n == 0 or on failure). */
void *kp_dec_alloc(kp_dec *d, int32_t n, size_t elem_size);
/* [int32] arrays (replica_nodes, ...). */
int32_t *kp_dec_i32_array(kp_dec *d, const char *field, int32_t *count);
/* node_id, host, port, rack (when has_rack), tagged fields. */
void kp_dec_node(kp_dec *d, kp_proto_node *node, int has_rack);
/* Skips a tagged-field section in flexible versions. */
static inline void kp_dec_tags(kp_dec *d) {
    if (d->flexible) {
        kp_dec_at(d, "tagged fields");
        kp_rd_skip_tags(&d->r);
    }
}
/* Reads a flexible version's tagged-field section, giving each field to fn with
 * the reader bounded to that field's bytes. Whatever fn leaves unread (all of
 * an unknown tag, or all fields when fn is NULL) is skipped. */
typedef void (*kp_dec_tag_fn)(kp_dec *d, uint64_t tag, void *ctx);
void kp_dec_tagged(kp_dec *d, kp_dec_tag_fn fn, void *ctx);
/* Ends a decode: rejects trailing bytes (they mean the layout was misread),
 * fills err and returns 0 or a KP_PROTO_* code. */
int kp_dec_finish(kp_dec *d, const char *api, int16_t version, kp_proto_err *err);
/* The same, ignoring trailing bytes unless `exact` (as Java's and
 * librdkafka's parsers always do). */
int kp_dec_finish_exact(kp_dec *d, const char *api, int16_t version, int exact,
                        kp_proto_err *err);

#endif
