/* kp_buf.h — growable byte buffer for encoding and a bounded reader for decoding
 * Kafka's big-endian, varint and compact/flexible wire types. */
#ifndef KP_BUF_H
#define KP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "kp_crc32c.h"

/* Encoder side. Writers never fail loudly: an allocation failure sets `oom`
 * and turns every later write into a no-op, so an encoder checks once at the
 * end (kp_buf_ok) instead of after every field. */
typedef struct kp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int oom; /* out of memory, or a value the wire type cannot carry */
} kp_buf;

/* Bytes held elsewhere that belong before offset `at` of a buffer's
 * contents: a record batch's values sent by reference. */
typedef struct kp_buf_insert {
    size_t at;
    const uint8_t *ptr;
    size_t len;
    int has_crc;         /* crc holds the bytes' CRC-32C (a CRC over them need not read them) */
    kp_crc32c_piece crc;
} kp_buf_insert;

void kp_buf_init(kp_buf *b, size_t initial_cap);
void kp_buf_free(kp_buf *b);
static inline void kp_buf_reset(kp_buf *b) { b->len = 0; b->oom = 0; }
static inline int kp_buf_ok(const kp_buf *b) { return !b->oom; }
/* Makes room for `extra` more bytes; returns 0, or -1 (and sets oom). */
int kp_buf_reserve(kp_buf *b, size_t extra);
/* Grows the capacity to exactly `cap` bytes (no-op when it is that large
 * already). Returns 0, or -1 with the buffer unchanged (not marked oom). */
int kp_buf_grow_to(kp_buf *b, size_t cap);
/* Hands the bytes to the caller (who frees them) and leaves `b` empty. */
uint8_t *kp_buf_detach(kp_buf *b, size_t *len);

void kp_buf_write(kp_buf *b, const void *p, size_t n);
void kp_buf_i8(kp_buf *b, int8_t v);
void kp_buf_i16(kp_buf *b, int16_t v);
void kp_buf_i32(kp_buf *b, int32_t v);
void kp_buf_u32(kp_buf *b, uint32_t v);
void kp_buf_i64(kp_buf *b, int64_t v);
/* Unsigned LEB128 (Kafka UNSIGNED_VARINT) and zig-zag signed (VARINT/VARLONG). */
void kp_buf_uvarint(kp_buf *b, uint64_t v);
void kp_buf_varint(kp_buf *b, int64_t v);
/* STRING / NULLABLE_STRING: len < 0 writes null (-1); a length over 32767
 * cannot be encoded and fails the buffer (kp_buf_ok turns false). */
void kp_buf_string(kp_buf *b, const char *s, int32_t len);
/* COMPACT_STRING / COMPACT_NULLABLE_STRING: length+1 as uvarint, 0 = null. */
void kp_buf_compact_string(kp_buf *b, const char *s, int32_t len);
/* BYTES / NULLABLE_BYTES with an int32 length. */
void kp_buf_bytes(kp_buf *b, const void *p, int32_t len);
void kp_buf_compact_bytes(kp_buf *b, const void *p, int32_t len);
/* Array length: int32 (legacy) or uvarint N+1 (compact); n < 0 is null. */
void kp_buf_array_len(kp_buf *b, int compact, int32_t n);
/* Writes a string in the form the version asks for (compact or not). */
void kp_buf_str(kp_buf *b, int compact, const char *s, int32_t len);
/* Empty tagged-field section of a flexible version. */
static inline void kp_buf_no_tags(kp_buf *b) { kp_buf_uvarint(b, 0); }

/* Reserves n bytes to be filled later (length and CRC fields); returns their
 * offset, which stays valid across growth. */
size_t kp_buf_placeholder(kp_buf *b, size_t n);
void kp_buf_patch_i32(kp_buf *b, size_t off, int32_t v);
void kp_buf_patch_u32(kp_buf *b, size_t off, uint32_t v);

/* Size of v as a zig-zag varint, for sizing records before writing them. */
int kp_varint_size(int64_t v);
int kp_uvarint_size(uint64_t v);

/* Decoder side: a window over untrusted bytes. Every read is bounds-checked;
 * the first failure records `err` (a static string) and every later read
 * returns zero, so a decoder can read a whole structure and check once. */
typedef struct kp_reader {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
    const char *err;
} kp_reader;

/* A view into the reader's bytes; ptr is NULL for a null string/bytes. */
typedef struct kp_slice {
    const uint8_t *ptr;
    int32_t len;
} kp_slice;

void kp_reader_init(kp_reader *r, const void *data, size_t len);
static inline size_t kp_rd_remaining(const kp_reader *r) { return (size_t)(r->end - r->p); }
static inline size_t kp_rd_offset(const kp_reader *r) { return (size_t)(r->p - r->start); }
/* Records the first error only; later ones would hide the cause. */
void kp_rd_fail(kp_reader *r, const char *err);

int8_t kp_rd_i8(kp_reader *r);
int16_t kp_rd_i16(kp_reader *r);
int32_t kp_rd_i32(kp_reader *r);
uint32_t kp_rd_u32(kp_reader *r);
int64_t kp_rd_i64(kp_reader *r);
uint64_t kp_rd_uvarint(kp_reader *r);
int64_t kp_rd_varint(kp_reader *r);
/* Skips n bytes (fails when fewer remain). */
void kp_rd_skip(kp_reader *r, size_t n);
/* Points `out` at the next n bytes without copying. */
void kp_rd_raw(kp_reader *r, size_t n, kp_slice *out);
/* STRING/NULLABLE_STRING or COMPACT_(NULLABLE_)STRING depending on `compact`. */
void kp_rd_str(kp_reader *r, int compact, kp_slice *out);
/* BYTES/NULLABLE_BYTES or COMPACT_(NULLABLE_)BYTES. */
void kp_rd_bytes(kp_reader *r, int compact, kp_slice *out);
/* Array length, int32 or compact uvarint; -1 for null. Rejects counts whose
 * elements (each at least min_elem_size bytes) could not fit in what is left,
 * so a hostile count can never drive a huge allocation. */
int32_t kp_rd_array_len(kp_reader *r, int compact, size_t min_elem_size);
/* Skips a tagged-field section (flexible versions). */
void kp_rd_skip_tags(kp_reader *r);

#endif
