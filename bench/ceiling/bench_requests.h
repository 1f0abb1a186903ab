/* bench_requests.h — pre-encoded Produce requests for the ceilings: the
 * pool's records cut into full batch.size batches by kprod's own batch
 * builder and codecs, one batch per partition per request, grouped by leader. */
#ifndef BENCH_REQUESTS_H
#define BENCH_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "bench_data.h"
#include "kp_compress.h"

typedef struct bench_requests_conf {
    const char *topic;
    int32_t partitions;
    const int32_t *leaders; /* partition -> broker index in 0..brokers-1 */
    int brokers;
    kp_codec codec;
    int level; /* KP_LEVEL_DEFAULT or the codec's level */
    int32_t batch_size;
    int32_t max_request_size;
    int16_t produce_version;
    int16_t acks;
    int32_t timeout_ms;
} bench_requests_conf;

/* One whole request frame, Size prefix included; correlation id 0 until
 * bench_request_set_correlation_id. */
typedef struct bench_request {
    uint8_t *bytes;
    size_t len;
    uint64_t records;
    uint64_t payload_bytes; /* key + value bytes of its records */
} bench_request;

/* The requests one broker leads, to be sent round and round. */
typedef struct bench_request_list {
    bench_request *requests;
    int count;
} bench_request_list;

/* Fills lists[0..c->brokers) (owned by the caller, freed with
 * bench_requests_free): every partition gets one batch of pool records,
 * taken in order and wrapping, filled up to batch.size (at least one
 * record) and sealed with the codec, without producer id (brokers check
 * sequences only for transactional producers). A broker's batches are packed
 * into requests of at most max.request.size. Returns 0, or -1 with errstr
 * filled and every list empty. */
int bench_requests_build(const bench_pool *pool, const bench_requests_conf *c,
                         bench_request_list *lists, char *errstr, size_t errlen);
void bench_requests_free(bench_request_list *lists, int brokers);

/* Patches the CorrelationId of an encoded request in place. */
static inline void bench_request_set_correlation_id(uint8_t *bytes, int32_t id) {
    uint32_t v = (uint32_t)id;
    bytes[8] = (uint8_t)(v >> 24);
    bytes[9] = (uint8_t)(v >> 16);
    bytes[10] = (uint8_t)(v >> 8);
    bytes[11] = (uint8_t)v;
}

#endif
