/* bench_requests.c — builds the ceilings' pre-encoded Produce requests. */
#include "bench_requests.h"

#include <stdlib.h>
#include <string.h>

#include "bench_wire.h"
#include "kp_batch.h"
#include "kp_err.h"
#include "kp_proto_produce.h"
#include "kp_time.h"

#define REQUEST_OVERHEAD 256   /* header, topic name, acks, timeout: generous */
#define PARTITION_OVERHEAD 16  /* index + records length */

/* One sealed batch per partition. */
typedef struct sealed {
    kp_batch_builder b;
    uint64_t records, payload;
} sealed;

static int fill_batch(sealed *s, const bench_pool *pool, size_t *cursor, const bench_requests_conf *c,
                      kp_compressor *cz, kp_buf *scratch, char *errstr, size_t errlen) {
    if (kp_batch_init(&s->b, (size_t)c->batch_size)) return kp_fail(errstr, errlen, "out of memory");
    int64_t now = kp_wallclock_ms();
    for (;;) {
        const bench_record *r = &pool->records[*cursor];
        size_t need = kp_record_size_upper_bound(r->key_len, r->value_len, NULL, 0);
        if (s->records && kp_batch_size(&s->b) + need > (size_t)c->batch_size) break;
        if (kp_batch_append(&s->b, now, r->key, r->key_len, r->value, r->value_len, NULL, 0))
            return kp_fail(errstr, errlen, "out of memory");
        s->records++;
        s->payload += (uint64_t)r->key_len + (uint64_t)r->value_len;
        *cursor = (*cursor + 1) % pool->count;
    }
    const kp_batch_producer none = {KP_NO_PRODUCER_ID, KP_NO_PRODUCER_EPOCH, KP_NO_SEQUENCE, 0};
    return kp_batch_seal(&s->b, c->codec, c->level, cz, &none, scratch, errstr, errlen);
}

/* Encodes the partitions parts[0..n) of one broker into one more request. */
static int add_request(bench_request_list *list, const bench_requests_conf *c, const sealed *batches,
                       const int32_t *parts, int n, kp_frame *f, kp_buf *flat, char *errstr,
                       size_t errlen) {
    kp_produce_partition_data *pd = calloc((size_t)n, sizeof *pd);
    bench_request *grown = realloc(list->requests, sizeof *grown * (size_t)(list->count + 1));
    if (!pd || !grown) {
        free(pd);
        return kp_fail(errstr, errlen, "out of memory");
    }
    list->requests = grown;
    bench_request *req = &grown[list->count];
    memset(req, 0, sizeof *req);
    for (int i = 0; i < n; i++) {
        const sealed *s = &batches[parts[i]];
        pd[i] = (kp_produce_partition_data){.index = parts[i], .records = s->b.buf.data, .records_len = s->b.buf.len};
        req->records += s->records;
        req->payload_bytes += s->payload;
    }
    const kp_produce_topic_data td = {c->topic, pd, n};
    const kp_produce_request pr = {NULL, c->acks, c->timeout_ms, &td, 1};
    kp_proto_err pe = {0};
    char why[256];
    int rc = kp_produce_request_encode(f, c->produce_version, 0, "kprod-bench", &pr, &pe);
    free(pd);
    if (rc) return kp_fail(errstr, errlen, "encoding Produce: %s", kp_proto_err_format(&pe, why, sizeof why));
    if (bench_frame_flatten(f, flat)) return kp_fail(errstr, errlen, "out of memory");
    req->bytes = kp_buf_detach(flat, &req->len);
    list->count++;
    return 0;
}

int bench_requests_build(const bench_pool *pool, const bench_requests_conf *c,
                         bench_request_list *lists, char *errstr, size_t errlen) {
    int rc = -1;
    size_t cursor = 0;
    kp_frame f;
    kp_buf scratch, flat;
    kp_frame_init(&f);
    kp_buf_init(&scratch, 0);
    kp_buf_init(&flat, 0);
    memset(lists, 0, sizeof *lists * (size_t)c->brokers);
    kp_compressor *cz = kp_compressor_new();
    sealed *batches = calloc((size_t)c->partitions, sizeof *batches);
    int32_t *parts = calloc((size_t)c->partitions, sizeof *parts);
    if (!cz || !batches || !parts) {
        kp_fail(errstr, errlen, "out of memory for %d partitions", (int)c->partitions);
        goto out;
    }
    for (int32_t p = 0; p < c->partitions; p++)
        if (fill_batch(&batches[p], pool, &cursor, c, cz, &scratch, errstr, errlen)) goto out;

    for (int b = 0; b < c->brokers; b++) {
        int n = 0;
        size_t size = REQUEST_OVERHEAD;
        for (int32_t p = 0; p < c->partitions; p++) {
            if (c->leaders[p] != b) continue;
            size_t add = batches[p].b.buf.len + PARTITION_OVERHEAD;
            if (n && size + add > (size_t)c->max_request_size) {
                if (add_request(&lists[b], c, batches, parts, n, &f, &flat, errstr, errlen)) goto out;
                n = 0;
                size = REQUEST_OVERHEAD;
            }
            parts[n++] = p;
            size += add;
        }
        if (n && add_request(&lists[b], c, batches, parts, n, &f, &flat, errstr, errlen)) goto out;
    }
    rc = 0;
out:
    if (rc) bench_requests_free(lists, c->brokers);
    for (int32_t p = 0; batches && p < c->partitions; p++) kp_batch_free(&batches[p].b);
    free(batches);
    free(parts);
    kp_compressor_free(cz);
    kp_frame_free(&f);
    kp_buf_free(&scratch);
    kp_buf_free(&flat);
    return rc;
}

void bench_requests_free(bench_request_list *lists, int brokers) {
    for (int b = 0; b < brokers; b++) {
        for (int i = 0; i < lists[b].count; i++) free(lists[b].requests[i].bytes);
        free(lists[b].requests);
        lists[b].requests = NULL;
        lists[b].count = 0;
    }
}
