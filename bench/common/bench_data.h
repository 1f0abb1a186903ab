/* bench_data.h — the benchmark's records: a pool read from a key<TAB>value
 * file (bench/gen_records.lua writes it) that every producer cycles through. */
#ifndef BENCH_DATA_H
#define BENCH_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_record {
    const char *key; /* points into the pool's bytes, not NUL-terminated */
    int32_t key_len;
    const char *value;
    int32_t value_len;
} bench_record;

typedef struct bench_pool {
    char *bytes; /* the whole file */
    size_t len;
    bench_record *records;
    size_t count;
    uint64_t payload_bytes; /* sum of key and value lengths over the pool */
} bench_pool;

/* Reads the file at path into *pool, which owns everything until
 * bench_pool_free. Every line must be KEY<TAB>VALUE, the last one ended by a
 * newline. Returns 0, or -1 with errstr naming the file (and line) at fault
 * and *pool empty. */
int bench_pool_load(bench_pool *pool, const char *path, char *errstr, size_t errlen);
/* Frees what bench_pool_load allocated; an empty pool is a no-op. */
void bench_pool_free(bench_pool *pool);

#endif
