/* kp_batch.c — Kafka record batch v2: append records in wire form, seal, decode. */
#include "kp_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_crc32c.h"

/* ---- raw writers into reserved space (the hot path avoids kp_buf checks) ---- */

static inline uint8_t *put_uvarint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *put_varint(uint8_t *p, int64_t v) {
    return put_uvarint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline uint8_t *put_bytes(uint8_t *p, const void *src, int32_t len) {
    if (!src || len < 0) return put_varint(p, -1);
    p = put_varint(p, len);
    memcpy(p, src, (size_t)len);
    return p + len;
}

static void put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v) {
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* ---- builder ---- */

int kp_batch_init(kp_batch_builder *b, size_t capacity) {
    memset(b, 0, sizeof *b);
    kp_buf_init(&b->buf, capacity < KP_BATCH_HEADER_SIZE ? KP_BATCH_HEADER_SIZE : capacity);
    kp_batch_reset(b);
    return kp_buf_ok(&b->buf) ? 0 : -1;
}

/* Forgets the referenced values and drops the blobs holding them. */
static void drop_ext(kp_batch_builder *b) {
    for (int i = 0; i < b->nblobs; i++) kp_blob_unref(b->blobs[i]);
    b->nblobs = 0;
    b->next = 0;
    b->ext_len = 0;
}

void kp_batch_free(kp_batch_builder *b) {
    drop_ext(b);
    free(b->ext);
    free(b->blobs);
    b->ext = NULL;
    b->blobs = NULL;
    b->cap_ext = b->cap_blobs = 0;
    kp_buf_free(&b->buf);
}

void kp_batch_reset(kp_batch_builder *b) {
    drop_ext(b);
    kp_buf_reset(&b->buf);
    kp_buf_placeholder(&b->buf, KP_BATCH_HEADER_SIZE);
    b->count = 0;
    b->base_timestamp = 0;
    b->max_timestamp = 0;
    b->sealed = 0;
}

static size_t headers_size(const kp_header *h, int n) {
    size_t s = (size_t)kp_varint_size(n);
    for (int i = 0; i < n; i++) {
        int32_t vl = h[i].value ? h[i].value_len : -1;
        s += (size_t)kp_varint_size(h[i].key_len) + (size_t)h[i].key_len;
        s += (size_t)kp_varint_size(vl) + (size_t)(vl > 0 ? vl : 0);
    }
    return s;
}

static size_t record_body_size(int64_t ts_delta, int32_t off_delta, int32_t key_len,
                               int32_t value_len, size_t hsize) {
    return 1 + (size_t)kp_varint_size(ts_delta) + (size_t)kp_varint_size(off_delta) +
           (size_t)kp_varint_size(key_len) + (size_t)(key_len > 0 ? key_len : 0) +
           (size_t)kp_varint_size(value_len) + (size_t)(value_len > 0 ? value_len : 0) + hsize;
}

size_t kp_record_size(int64_t timestamp_delta, int32_t offset_delta, int32_t key_len,
                      int32_t value_len, const kp_header *headers, int header_count) {
    size_t body = record_body_size(timestamp_delta, offset_delta, key_len, value_len,
                                   headers_size(headers, header_count));
    return (size_t)kp_varint_size((int64_t)body) + body;
}

size_t kp_record_size_upper_bound(int32_t key_len, int32_t value_len, const kp_header *headers,
                                  int header_count) {
    /* 5-byte length, 10-byte timestamp delta and 5-byte offset delta at most. */
    return 5 + 1 + 10 + 5 + 5 + (size_t)(key_len > 0 ? key_len : 0) + 5 +
           (size_t)(value_len > 0 ? value_len : 0) + headers_size(headers, header_count);
}

/* 1 when the batch's last reference is to blob (consecutive values share it). */
static int holds_last(const kp_batch_builder *b, const kp_blob *blob) {
    return b->nblobs && b->blobs[b->nblobs - 1] == blob;
}

/* Room for one more ext range and one more blob reference: 0, or -1 (OOM). */
static int reserve_ref(kp_batch_builder *b, kp_blob *blob) {
    if (b->next == b->cap_ext) {
        int cap = b->cap_ext ? b->cap_ext * 2 : 16;
        kp_buf_insert *e = realloc(b->ext, (size_t)cap * sizeof *e);
        if (!e) return -1;
        b->ext = e;
        b->cap_ext = cap;
    }
    if (!holds_last(b, blob) && b->nblobs == b->cap_blobs) {
        int cap = b->cap_blobs ? b->cap_blobs * 2 : 4;
        kp_blob **t = realloc(b->blobs, (size_t)cap * sizeof *t);
        if (!t) return -1;
        b->blobs = t;
        b->cap_blobs = cap;
    }
    return 0;
}

/* Writes one record; with `blob` set, the value's bytes stay in it and an
 * ext range takes their place. */
static int append_record(kp_batch_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                         const void *value, int32_t value_len, kp_blob *blob,
                         const kp_crc32c_piece *value_crc, const kp_header *headers,
                         int header_count) {
    if (b->count == 0) {
        b->base_timestamp = timestamp;
        b->max_timestamp = timestamp;
    }
    if (!key) key_len = -1;
    if (!value) value_len = -1;
    int64_t ts_delta = timestamp - b->base_timestamp;
    size_t hsize = headers_size(headers, header_count);
    size_t body = record_body_size(ts_delta, b->count, key_len, value_len, hsize);
    size_t inline_body = blob ? body - (size_t)value_len : body;
    if (kp_buf_reserve(&b->buf, 5 + inline_body) || (blob && reserve_ref(b, blob))) {
        b->buf.oom = 0; /* the batch stays usable; only this record failed */
        return -1;
    }
    uint8_t *p = b->buf.data + b->buf.len;
    p = put_varint(p, (int64_t)body);
    *p++ = 0; /* record attributes: unused */
    p = put_varint(p, ts_delta);
    p = put_varint(p, b->count);
    p = put_bytes(p, key, key_len);
    if (blob) {
        p = put_varint(p, value_len);
        kp_buf_insert *in = &b->ext[b->next++];
        *in = (kp_buf_insert){(size_t)(p - b->buf.data), value, (size_t)value_len, 0, {0, 0}};
        if (value_crc) in->has_crc = 1, in->crc = *value_crc;
        b->ext_len += (size_t)value_len;
        if (!holds_last(b, blob)) {
            kp_blob_ref(blob);
            b->blobs[b->nblobs++] = blob;
        }
    } else {
        p = put_bytes(p, value, value_len);
    }
    p = put_varint(p, header_count);
    for (int i = 0; i < header_count; i++) {
        p = put_bytes(p, headers[i].key, headers[i].key_len);
        p = put_bytes(p, headers[i].value, headers[i].value ? headers[i].value_len : -1);
    }
    b->buf.len = (size_t)(p - b->buf.data);
    if (timestamp > b->max_timestamp) b->max_timestamp = timestamp;
    b->count++;
    return 0;
}

int kp_batch_append(kp_batch_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                    const void *value, int32_t value_len, const kp_header *headers,
                    int header_count) {
    return append_record(b, timestamp, key, key_len, value, value_len, NULL, NULL, headers,
                         header_count);
}

int kp_batch_append_ref(kp_batch_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                        kp_blob *blob, size_t offset, int32_t value_len,
                        const kp_crc32c_piece *value_crc, const kp_header *headers,
                        int header_count) {
    if (!kp_blob_holds(blob, offset, value_len)) return -1;
    return append_record(b, timestamp, key, key_len, blob->data + offset, value_len, blob,
                         value_crc, headers, header_count);
}

/* CRC-32C of the wire bytes from buffer offset `from` (inside the header) on. */
static uint32_t wire_crc(const kp_batch_builder *b, size_t from) {
    uint32_t crc = 0;
    for (int i = 0; i < b->next; i++) {
        const kp_buf_insert *in = &b->ext[i];
        crc = kp_crc32c(crc, b->buf.data + from, in->at - from);
        crc = in->has_crc ? kp_crc32c_append_piece(crc, in->crc) : kp_crc32c(crc, in->ptr, in->len);
        from = in->at;
    }
    return kp_crc32c(crc, b->buf.data + from, b->buf.len - from);
}

/* Appends the wire bytes from buffer offset `from` on to out. */
static void write_wire(const kp_batch_builder *b, size_t from, kp_buf *out) {
    for (int i = 0; i < b->next; i++) {
        kp_buf_write(out, b->buf.data + from, b->ext[i].at - from);
        kp_buf_write(out, b->ext[i].ptr, b->ext[i].len);
        from = b->ext[i].at;
    }
    kp_buf_write(out, b->buf.data + from, b->buf.len - from);
}

int kp_batch_copy_wire(const kp_batch_builder *b, kp_buf *out) {
    write_wire(b, 0, out);
    return kp_buf_ok(out) ? 0 : -1;
}

/* Writes producer id, epoch and base sequence and the transactional flag. */
static void stamp_producer(uint8_t *h, const kp_batch_producer *producer) {
    static const kp_batch_producer none = {KP_NO_PRODUCER_ID, KP_NO_PRODUCER_EPOCH,
                                           KP_NO_SEQUENCE, 0};
    if (!producer) producer = &none;
    put_be64(h + KP_BATCH_OFF_PRODUCER_ID, (uint64_t)producer->producer_id);
    put_be16(h + KP_BATCH_OFF_PRODUCER_EPOCH, (uint16_t)producer->producer_epoch);
    put_be32(h + KP_BATCH_OFF_BASE_SEQUENCE, (uint32_t)producer->base_sequence);
    uint16_t attrs = (uint16_t)((h[KP_BATCH_OFF_ATTRIBUTES] << 8) | h[KP_BATCH_OFF_ATTRIBUTES + 1]);
    attrs = (uint16_t)((attrs & ~KP_BATCH_ATTR_TRANSACTIONAL) |
                       (producer->transactional ? KP_BATCH_ATTR_TRANSACTIONAL : 0));
    put_be16(h + KP_BATCH_OFF_ATTRIBUTES, attrs);
}

/* Fills the fixed header of buf[0..61) and the CRC over the whole batch. */
static void write_header(kp_batch_builder *b, int16_t attributes, const kp_batch_producer *producer) {
    uint8_t *h = b->buf.data;
    put_be64(h + KP_BATCH_OFF_BASE_OFFSET, 0);
    put_be32(h + KP_BATCH_OFF_LENGTH, (uint32_t)(kp_batch_size(b) - KP_BATCH_OFF_LEADER_EPOCH));
    put_be32(h + KP_BATCH_OFF_LEADER_EPOCH, (uint32_t)-1);
    h[KP_BATCH_OFF_MAGIC] = KP_BATCH_MAGIC;
    put_be16(h + KP_BATCH_OFF_ATTRIBUTES, (uint16_t)attributes);
    put_be32(h + KP_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(b->count - 1));
    put_be64(h + KP_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)b->base_timestamp);
    put_be64(h + KP_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)b->max_timestamp);
    put_be32(h + KP_BATCH_OFF_RECORDS_COUNT, (uint32_t)b->count);
    kp_batch_restamp(b, producer);
}

void kp_batch_restamp(kp_batch_builder *b, const kp_batch_producer *producer) {
    stamp_producer(b->buf.data, producer);
    put_be32(b->buf.data + KP_BATCH_OFF_CRC, wire_crc(b, KP_BATCH_OFF_ATTRIBUTES));
}

/* Compresses the records into the batch's buffer; the batch is unchanged
 * unless it returns 0. */
static int compress_records(kp_batch_builder *b, kp_codec codec, int level, kp_compressor *cz,
                            kp_buf *scratch, char *errstr, size_t errlen) {
    const uint8_t *records = b->buf.data + KP_BATCH_HEADER_SIZE;
    size_t records_len = b->buf.len - KP_BATCH_HEADER_SIZE;
    kp_buf gathered; /* the records with their referenced values in place */
    kp_buf_init(&gathered, b->next ? kp_batch_size(b) - KP_BATCH_HEADER_SIZE : 0);
    if (b->next) {
        write_wire(b, KP_BATCH_HEADER_SIZE, &gathered);
        records = gathered.data;
        records_len = gathered.len;
    }
    kp_buf_reset(scratch);
    kp_buf_placeholder(scratch, KP_BATCH_HEADER_SIZE);
    int rc = -1, oom = !kp_buf_ok(&gathered);
    if (!oom) rc = kp_compress(cz, codec, level, records, records_len, scratch, errstr, errlen);
    kp_buf_free(&gathered);
    size_t clen = scratch->len - KP_BATCH_HEADER_SIZE;
    if (!rc && (!kp_buf_ok(scratch) || kp_buf_grow_to(&b->buf, KP_BATCH_HEADER_SIZE + clen)))
        rc = -1, oom = 1;
    if (rc) {
        if (oom) snprintf(errstr, errlen, "out of memory compressing a record batch");
        return -1; /* the batch is left as it was */
    }
    /* Copied back rather than swapped: the batch keeps the buffer that
     * buffer.memory accounted for, and the scratch keeps its size. */
    memcpy(b->buf.data + KP_BATCH_HEADER_SIZE, scratch->data + KP_BATCH_HEADER_SIZE, clen);
    b->buf.len = KP_BATCH_HEADER_SIZE + clen;
    drop_ext(b); /* every byte is in the buffer now */
    return 0;
}

int kp_batch_seal(kp_batch_builder *b, kp_codec codec, int level, kp_compressor *cz,
                  const kp_batch_producer *producer, kp_buf *scratch, char *errstr,
                  size_t errlen) {
    if (b->count == 0) {
        snprintf(errstr, errlen, "cannot seal an empty record batch");
        return -1;
    }
    if (codec != KP_CODEC_NONE && compress_records(b, codec, level, cz, scratch, errstr, errlen))
        return -1;
    write_header(b, (int16_t)codec, producer);
    b->sealed = 1;
    return 0;
}

/* ---- decoder ---- */

int kp_batch_reader_open(kp_batch_reader *r, const uint8_t *data, size_t len, size_t *consumed,
                         kp_compressor *cz, size_t max_plain, char *errstr, size_t errlen) {
    memset(r, 0, sizeof *r);
    kp_buf_init(&r->plain, 0);
    kp_reader_init(&r->records, NULL, 0);
    if (len < KP_BATCH_HEADER_SIZE) {
        snprintf(errstr, errlen, "record batch truncated: %zu bytes, header needs %d", len,
                 KP_BATCH_HEADER_SIZE);
        return -1;
    }
    kp_reader h;
    kp_reader_init(&h, data, len);
    kp_batch_info *i = &r->info;
    i->base_offset = kp_rd_i64(&h);
    i->batch_length = kp_rd_i32(&h);
    i->partition_leader_epoch = kp_rd_i32(&h);
    i->magic = kp_rd_i8(&h);
    i->crc = kp_rd_u32(&h);
    i->attributes = kp_rd_i16(&h);
    i->last_offset_delta = kp_rd_i32(&h);
    i->base_timestamp = kp_rd_i64(&h);
    i->max_timestamp = kp_rd_i64(&h);
    i->producer_id = kp_rd_i64(&h);
    i->producer_epoch = kp_rd_i16(&h);
    i->base_sequence = kp_rd_i32(&h);
    i->records_count = kp_rd_i32(&h);
    if (i->magic != KP_BATCH_MAGIC) {
        snprintf(errstr, errlen, "record batch magic %d is not supported (only 2)", i->magic);
        return -1;
    }
    if (i->batch_length < KP_BATCH_HEADER_SIZE - KP_BATCH_OFF_LEADER_EPOCH ||
        (size_t)i->batch_length > len - KP_BATCH_OFF_LEADER_EPOCH) {
        snprintf(errstr, errlen, "record batch length %d does not fit in %zu bytes",
                 i->batch_length, len);
        return -1;
    }
    size_t total = (size_t)i->batch_length + KP_BATCH_OFF_LEADER_EPOCH;
    uint32_t crc = kp_crc32c(0, data + KP_BATCH_OFF_ATTRIBUTES, total - KP_BATCH_OFF_ATTRIBUTES);
    if (crc != i->crc) {
        snprintf(errstr, errlen, "record batch CRC mismatch: stored %08x, computed %08x", i->crc, crc);
        return -1;
    }
    if (i->records_count < 0) {
        snprintf(errstr, errlen, "record batch has a negative record count %d", i->records_count);
        return -1;
    }
    *consumed = total;
    const uint8_t *records = data + KP_BATCH_HEADER_SIZE;
    size_t records_len = total - KP_BATCH_HEADER_SIZE;
    kp_codec codec = (kp_codec)(i->attributes & KP_BATCH_ATTR_CODEC_MASK);
    if (codec != KP_CODEC_NONE) {
        if (codec > KP_CODEC_ZSTD) {
            snprintf(errstr, errlen, "record batch uses unknown compression codec %d", codec);
            return -1;
        }
        if (kp_decompress(cz, codec, records, records_len, &r->plain, max_plain, errstr, errlen))
            return -1;
        records = r->plain.data;
        records_len = r->plain.len;
    }
    kp_reader_init(&r->records, records, records_len);
    return 0;
}

int kp_batch_reader_next(kp_batch_reader *r, kp_record_view *rec, char *errstr, size_t errlen) {
    if (r->next_index >= r->info.records_count) {
        if (kp_rd_remaining(&r->records)) {
            snprintf(errstr, errlen, "record batch has %zu trailing bytes after %d records",
                     kp_rd_remaining(&r->records), r->info.records_count);
            return -1;
        }
        return 0;
    }
    kp_reader *rd = &r->records;
    int64_t len = kp_rd_varint(rd);
    if (rd->err || len < 0 || (uint64_t)len > kp_rd_remaining(rd)) goto bad;
    kp_reader body;
    kp_reader_init(&body, rd->p, (size_t)len);
    kp_rd_skip(rd, (size_t)len);
    rec->attributes = kp_rd_i8(&body);
    /* Deltas come from the wire: add them as Java's longs do (wrapping, never
     * undefined), and hold the offset delta to its VARINT (int32) range. */
    int64_t ts_delta = kp_rd_varint(&body);
    int64_t off_delta = kp_rd_varint(&body);
    if (off_delta < INT32_MIN || off_delta > INT32_MAX) goto bad;
    rec->timestamp = (int64_t)((uint64_t)r->info.base_timestamp + (uint64_t)ts_delta);
    rec->offset = (int64_t)((uint64_t)r->info.base_offset + (uint64_t)off_delta);
    int64_t kl = kp_rd_varint(&body);
    if (kl < -1 || kl > (int64_t)kp_rd_remaining(&body)) goto bad;
    rec->key.len = (int32_t)kl;
    rec->key.ptr = NULL;
    if (kl >= 0) kp_rd_raw(&body, (size_t)kl, &rec->key);
    int64_t vl = kp_rd_varint(&body);
    if (vl < -1 || vl > (int64_t)kp_rd_remaining(&body)) goto bad;
    rec->value.len = (int32_t)vl;
    rec->value.ptr = NULL;
    if (vl >= 0) kp_rd_raw(&body, (size_t)vl, &rec->value);
    int64_t hc = kp_rd_varint(&body);
    if (body.err || hc < 0 || hc > (int64_t)kp_rd_remaining(&body)) goto bad;
    rec->header_count = (int32_t)hc;
    rec->headers = body.p;
    rec->headers_len = kp_rd_remaining(&body);
    /* Validate the headers now so callers can walk them without checks failing late. */
    kp_reader hr;
    kp_reader_init(&hr, rec->headers, rec->headers_len);
    kp_header h;
    for (int64_t k = 0; k < hc; k++)
        if (kp_record_header_next(&hr, &h) != 1) goto bad;
    if (kp_rd_remaining(&hr)) goto bad;
    r->next_index++;
    return 1;
bad:
    snprintf(errstr, errlen, "record %d of batch at offset %lld is malformed", r->next_index,
             (long long)r->info.base_offset);
    return -1;
}

int kp_record_header_next(kp_reader *hr, kp_header *h) {
    if (!kp_rd_remaining(hr)) return 0;
    int64_t kl = kp_rd_varint(hr);
    if (hr->err || kl < 0 || kl > (int64_t)kp_rd_remaining(hr)) return -1;
    h->key = (const char *)hr->p;
    h->key_len = (int32_t)kl;
    kp_rd_skip(hr, (size_t)kl);
    int64_t vl = kp_rd_varint(hr);
    if (hr->err || vl < -1 || vl > (int64_t)kp_rd_remaining(hr)) return -1;
    h->value = vl >= 0 ? hr->p : NULL;
    h->value_len = (int32_t)vl;
    if (vl > 0) kp_rd_skip(hr, (size_t)vl);
    return hr->err ? -1 : 1;
}

void kp_batch_reader_close(kp_batch_reader *r) { kp_buf_free(&r->plain); }

