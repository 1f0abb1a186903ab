/* kp_batch.h — Kafka record batch v2 (magic 2): builder, sealing and decoder. */
#ifndef KP_BATCH_H
#define KP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kp_blob.h"
#include "kp_buf.h"
#include "kp_compress.h"

#define KP_BATCH_HEADER_SIZE 61
#define KP_BATCH_MAGIC 2
#define KP_NO_PRODUCER_ID (-1LL)
#define KP_NO_PRODUCER_EPOCH (-1)
#define KP_NO_SEQUENCE (-1)

/* Offsets of the batch header fields, as the protocol guide lists them. */
enum {
    KP_BATCH_OFF_BASE_OFFSET = 0,
    KP_BATCH_OFF_LENGTH = 8,
    KP_BATCH_OFF_LEADER_EPOCH = 12,
    KP_BATCH_OFF_MAGIC = 16,
    KP_BATCH_OFF_CRC = 17,
    KP_BATCH_OFF_ATTRIBUTES = 21,
    KP_BATCH_OFF_LAST_OFFSET_DELTA = 23,
    KP_BATCH_OFF_BASE_TIMESTAMP = 27,
    KP_BATCH_OFF_MAX_TIMESTAMP = 35,
    KP_BATCH_OFF_PRODUCER_ID = 43,
    KP_BATCH_OFF_PRODUCER_EPOCH = 51,
    KP_BATCH_OFF_BASE_SEQUENCE = 53,
    KP_BATCH_OFF_RECORDS_COUNT = 57,
};

#define KP_BATCH_ATTR_CODEC_MASK 0x07
#define KP_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define KP_BATCH_ATTR_TRANSACTIONAL 0x10
#define KP_BATCH_ATTR_CONTROL 0x20

typedef struct kp_header {
    const char *key;
    int32_t key_len;
    const void *value; /* NULL for a null header value */
    int32_t value_len;
} kp_header;

/* Accumulates records straight into wire form: the buffer holds the 61-byte
 * header placeholder followed by the records, so an uncompressed batch is
 * sealed in place without copying a byte. A value appended by reference
 * (kp_batch_append_ref) stays in its blob: the batch's wire bytes are then
 * the buffer with the `ext` ranges inserted, and the batch holds a
 * reference to each blob until it is reset or freed. */
typedef struct kp_batch_builder {
    kp_buf buf;
    int32_t count;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int sealed;
    kp_buf_insert *ext; /* values in blobs, in wire order */
    int next, cap_ext;
    size_t ext_len;    /* sum of ext[].len */
    kp_blob **blobs;   /* one reference per entry */
    int nblobs, cap_blobs;
} kp_batch_builder;

/* Prepares an empty batch with `capacity` bytes reserved. Returns 0 or -1 (OOM). */
int kp_batch_init(kp_batch_builder *b, size_t capacity);
void kp_batch_free(kp_batch_builder *b);
/* Empties the batch for reuse, keeping its memory, dropping its blobs. */
void kp_batch_reset(kp_batch_builder *b);

/* Bytes the record will take inside the batch (length varint included). */
size_t kp_record_size(int64_t timestamp_delta, int32_t offset_delta, int32_t key_len,
                      int32_t value_len, const kp_header *headers, int header_count);
/* Upper bound of a record's size, used before its offset/timestamp deltas are
 * known (what Java's AbstractRecords.estimateSizeInBytesUpperBound does). */
size_t kp_record_size_upper_bound(int32_t key_len, int32_t value_len, const kp_header *headers,
                                  int header_count);

/* Appends one record; key/value NULL means null. The first record's timestamp
 * becomes the batch's base timestamp. Returns 0, or -1 on OOM (batch unchanged). */
int kp_batch_append(kp_batch_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                    const void *value, int32_t value_len, const kp_header *headers,
                    int header_count);

/* Appends one record whose value is blob->data[offset..offset+value_len),
 * referenced, not copied (the batch takes a reference to the blob). With
 * value_crc (the value's kp_crc32c_piece_of, copied), sealing does not read
 * the value for the batch's CRC. Returns 0, or -1 on OOM (batch unchanged). */
int kp_batch_append_ref(kp_batch_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                        kp_blob *blob, size_t offset, int32_t value_len,
                        const kp_crc32c_piece *value_crc, const kp_header *headers,
                        int header_count);

/* The batch's size on the wire (referenced values included). */
static inline size_t kp_batch_size(const kp_batch_builder *b) { return b->buf.len + b->ext_len; }
/* What the batch's own buffer holds (referenced values excluded). */
static inline size_t kp_batch_inline_size(const kp_batch_builder *b) { return b->buf.len; }

/* Appends the batch's wire bytes, referenced values in place, to out.
 * Returns 0, or -1 when out of memory. */
int kp_batch_copy_wire(const kp_batch_builder *b, kp_buf *out);

/* Identity stamped into a batch for idempotent delivery. */
typedef struct kp_batch_producer {
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int transactional;
} kp_batch_producer;

/* Completes the header (compressing the records with `codec` when it is not
 * NONE, using `scratch` as the compression target, or to gather the records
 * first when some are referenced) and computes the CRC. The sealed bytes are
 * the buffer with the ext ranges inserted; a compressed batch is all in its
 * buffer and drops its blobs.
 * Returns 0, or -1 with errstr filled. */
int kp_batch_seal(kp_batch_builder *b, kp_codec codec, int level, kp_compressor *cz,
                  const kp_batch_producer *producer, kp_buf *scratch, char *errstr,
                  size_t errlen);

/* Rewrites producer id, epoch and base sequence of a sealed batch and
 * recomputes its CRC (retries after an epoch bump need this). */
void kp_batch_restamp(kp_batch_builder *b, const kp_batch_producer *producer);

/* ---- decoding ---- */

typedef struct kp_batch_info {
    int64_t base_offset;
    int32_t batch_length;
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
} kp_batch_info;

typedef struct kp_record_view {
    int8_t attributes;
    int64_t timestamp; /* base_timestamp + delta */
    int64_t offset;    /* base_offset + delta */
    kp_slice key;      /* ptr NULL for a null key */
    kp_slice value;
    int32_t header_count;
    const uint8_t *headers; /* raw header bytes; walk with kp_record_header_next */
    size_t headers_len;
} kp_record_view;

/* Iterates the records of one batch. Records point into `plain` (the
 * decompressed records) or into the caller's input, which must outlive it. */
typedef struct kp_batch_reader {
    kp_batch_info info;
    kp_buf plain;
    kp_reader records;
    int32_t next_index;
} kp_batch_reader;

/* Parses and verifies one batch at the start of data[0..len): header, CRC,
 * length; decompresses (bounded by max_plain bytes) when needed. *consumed is
 * set to the batch's total size. Returns 0, or -1 with errstr naming the fault. */
int kp_batch_reader_open(kp_batch_reader *r, const uint8_t *data, size_t len, size_t *consumed,
                         kp_compressor *cz, size_t max_plain, char *errstr, size_t errlen);
/* Next record: 1 when one was read, 0 at the end, -1 on malformed data. */
int kp_batch_reader_next(kp_batch_reader *r, kp_record_view *rec, char *errstr, size_t errlen);
void kp_batch_reader_close(kp_batch_reader *r);

/* Walks header bytes from a record view: returns 1 and fills *h, 0 at end, -1 on error. */
int kp_record_header_next(kp_reader *hr, kp_header *h);

#endif
