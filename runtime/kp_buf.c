/* kp_buf.c — growable byte buffer and bounded reader for Kafka wire types. */
#include "kp_buf.h"

#include <stdlib.h>
#include <string.h>

void kp_buf_init(kp_buf *b, size_t initial_cap) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
    /* Exactly what was asked: rounding 64 KiB + a few bytes up to 128 KiB
     * would double every full batch's memory (and put it past malloc's mmap
     * threshold: a page fault per 4 KiB written, a TLB shootdown per free). */
    if (initial_cap && kp_buf_grow_to(b, initial_cap)) b->oom = 1;
}

void kp_buf_free(kp_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int kp_buf_reserve(kp_buf *b, size_t extra) {
    if (b->oom) return -1;
    if (b->cap - b->len >= extra) return 0;
    size_t need = b->len + extra;
    if (need < b->len) goto oom; /* overflow */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) goto oom;
    b->data = p;
    b->cap = cap;
    return 0;
oom:
    b->oom = 1;
    return -1;
}

int kp_buf_grow_to(kp_buf *b, size_t cap) {
    if (b->oom) return -1;
    if (b->cap >= cap) return 0;
    uint8_t *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

uint8_t *kp_buf_detach(kp_buf *b, size_t *len) {
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void kp_buf_write(kp_buf *b, const void *p, size_t n) {
    if (n == 0 || kp_buf_reserve(b, n)) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void kp_buf_i8(kp_buf *b, int8_t v) { kp_buf_write(b, &v, 1); }

void kp_buf_i16(kp_buf *b, int16_t v) {
    uint8_t t[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    kp_buf_write(b, t, 2);
}

void kp_buf_u32(kp_buf *b, uint32_t v) {
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    kp_buf_write(b, t, 4);
}

void kp_buf_i32(kp_buf *b, int32_t v) { kp_buf_u32(b, (uint32_t)v); }

void kp_buf_i64(kp_buf *b, int64_t v) {
    kp_buf_u32(b, (uint32_t)((uint64_t)v >> 32));
    kp_buf_u32(b, (uint32_t)v);
}

void kp_buf_uvarint(kp_buf *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    kp_buf_write(b, t, (size_t)n);
}

static inline uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void kp_buf_varint(kp_buf *b, int64_t v) { kp_buf_uvarint(b, zigzag(v)); }

int kp_uvarint_size(uint64_t v) {
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

int kp_varint_size(int64_t v) { return kp_uvarint_size(zigzag(v)); }

void kp_buf_string(kp_buf *b, const char *s, int32_t len) {
    if (!s || len < 0) {
        kp_buf_i16(b, -1);
        return;
    }
    if (len > INT16_MAX) {
        b->oom = 1; /* not representable: fail the whole encoding */
        return;
    }
    kp_buf_i16(b, (int16_t)len);
    kp_buf_write(b, s, (size_t)len);
}

void kp_buf_compact_string(kp_buf *b, const char *s, int32_t len) {
    if (!s || len < 0) {
        kp_buf_uvarint(b, 0);
        return;
    }
    kp_buf_uvarint(b, (uint64_t)len + 1);
    kp_buf_write(b, s, (size_t)len);
}

void kp_buf_str(kp_buf *b, int compact, const char *s, int32_t len) {
    if (compact) kp_buf_compact_string(b, s, len);
    else kp_buf_string(b, s, len);
}

void kp_buf_bytes(kp_buf *b, const void *p, int32_t len) {
    if (!p || len < 0) {
        kp_buf_i32(b, -1);
        return;
    }
    kp_buf_i32(b, len);
    kp_buf_write(b, p, (size_t)len);
}

void kp_buf_compact_bytes(kp_buf *b, const void *p, int32_t len) {
    if (!p || len < 0) {
        kp_buf_uvarint(b, 0);
        return;
    }
    kp_buf_uvarint(b, (uint64_t)len + 1);
    kp_buf_write(b, p, (size_t)len);
}

void kp_buf_array_len(kp_buf *b, int compact, int32_t n) {
    if (compact) kp_buf_uvarint(b, n < 0 ? 0 : (uint64_t)n + 1);
    else kp_buf_i32(b, n < 0 ? -1 : n);
}

size_t kp_buf_placeholder(kp_buf *b, size_t n) {
    size_t off = b->len;
    if (kp_buf_reserve(b, n)) return off;
    memset(b->data + b->len, 0, n);
    b->len += n;
    return off;
}

void kp_buf_patch_u32(kp_buf *b, size_t off, uint32_t v) {
    if (b->oom || off + 4 > b->len) return;
    uint8_t *t = b->data + off;
    t[0] = (uint8_t)(v >> 24);
    t[1] = (uint8_t)(v >> 16);
    t[2] = (uint8_t)(v >> 8);
    t[3] = (uint8_t)v;
}

void kp_buf_patch_i32(kp_buf *b, size_t off, int32_t v) { kp_buf_patch_u32(b, off, (uint32_t)v); }

/* ---- reader ---- */

void kp_reader_init(kp_reader *r, const void *data, size_t len) {
    static const uint8_t empty[1];
    if (!data) {
        data = empty; /* NULL + 0 is undefined behaviour */
        len = 0;
    }
    r->start = r->p = data;
    r->end = r->start + len;
    r->err = NULL;
}

void kp_rd_fail(kp_reader *r, const char *err) {
    if (!r->err) r->err = err;
    r->p = r->end;
}

/* Returns a pointer to n readable bytes and advances, or NULL on failure. */
static const uint8_t *take(kp_reader *r, size_t n) {
    if (r->err) return NULL;
    if ((size_t)(r->end - r->p) < n) {
        kp_rd_fail(r, "truncated");
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

int8_t kp_rd_i8(kp_reader *r) {
    const uint8_t *q = take(r, 1);
    return q ? (int8_t)q[0] : 0;
}

int16_t kp_rd_i16(kp_reader *r) {
    const uint8_t *q = take(r, 2);
    return q ? (int16_t)(((uint16_t)q[0] << 8) | q[1]) : 0;
}

uint32_t kp_rd_u32(kp_reader *r) {
    const uint8_t *q = take(r, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}

int32_t kp_rd_i32(kp_reader *r) { return (int32_t)kp_rd_u32(r); }

int64_t kp_rd_i64(kp_reader *r) {
    uint64_t hi = kp_rd_u32(r);
    uint64_t lo = kp_rd_u32(r);
    return (int64_t)((hi << 32) | lo);
}

uint64_t kp_rd_uvarint(kp_reader *r) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t *q = take(r, 1);
        if (!q) return 0;
        v |= (uint64_t)(q[0] & 0x7f) << shift;
        if (!(q[0] & 0x80)) return v;
    }
    kp_rd_fail(r, "varint too long");
    return 0;
}

int64_t kp_rd_varint(kp_reader *r) {
    uint64_t u = kp_rd_uvarint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

void kp_rd_skip(kp_reader *r, size_t n) { (void)take(r, n); }

void kp_rd_raw(kp_reader *r, size_t n, kp_slice *out) {
    out->ptr = take(r, n);
    out->len = out->ptr ? (int32_t)n : 0;
}

/* Reads a length prefix in either encoding; -1 means null. */
static int64_t rd_len(kp_reader *r, int compact, int wide) {
    if (compact) {
        uint64_t n = kp_rd_uvarint(r);
        if (n > (uint64_t)INT32_MAX + 1) {
            kp_rd_fail(r, "length out of range");
            return 0;
        }
        return (int64_t)n - 1;
    }
    return wide ? kp_rd_i32(r) : kp_rd_i16(r);
}

static void rd_sized(kp_reader *r, int compact, int wide, kp_slice *out) {
    int64_t n = rd_len(r, compact, wide);
    out->ptr = NULL;
    out->len = -1;
    if (r->err) return;
    if (n < -1) {
        kp_rd_fail(r, "negative length");
        return;
    }
    if (n == -1) return;
    if ((uint64_t)n > kp_rd_remaining(r)) {
        kp_rd_fail(r, "length past end of frame");
        return;
    }
    kp_rd_raw(r, (size_t)n, out);
}

void kp_rd_str(kp_reader *r, int compact, kp_slice *out) { rd_sized(r, compact, 0, out); }

void kp_rd_bytes(kp_reader *r, int compact, kp_slice *out) { rd_sized(r, compact, 1, out); }

int32_t kp_rd_array_len(kp_reader *r, int compact, size_t min_elem_size) {
    int64_t n = rd_len(r, compact, 1);
    if (r->err) return 0;
    if (n < -1) {
        kp_rd_fail(r, "negative array count");
        return 0;
    }
    if (n > 0 && (uint64_t)n * (min_elem_size ? min_elem_size : 1) > kp_rd_remaining(r)) {
        kp_rd_fail(r, "array count past end of frame");
        return 0;
    }
    return (int32_t)n;
}

void kp_rd_skip_tags(kp_reader *r) {
    uint64_t n = kp_rd_uvarint(r);
    if (n > kp_rd_remaining(r)) {
        kp_rd_fail(r, "tagged field count past end of frame");
        return;
    }
    for (uint64_t i = 0; i < n && !r->err; i++) {
        (void)kp_rd_uvarint(r); /* tag */
        uint64_t size = kp_rd_uvarint(r);
        if (size > kp_rd_remaining(r)) {
            kp_rd_fail(r, "tagged field past end of frame");
            return;
        }
        kp_rd_skip(r, (size_t)size);
    }
}
