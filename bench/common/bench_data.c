/* bench_data.c — loads the benchmark's key<TAB>value record pool. */
#include "bench_data.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pool_fail(bench_pool *pool, char *errstr, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
    bench_pool_free(pool);
    return -1;
}

int bench_pool_load(bench_pool *pool, const char *path, char *errstr, size_t errlen) {
    memset(pool, 0, sizeof *pool);
    FILE *f = fopen(path, "rb");
    if (!f) return pool_fail(pool, errstr, errlen, "%s: cannot open: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return pool_fail(pool, errstr, errlen, "%s: cannot size: %s", path, strerror(errno));
    }
    pool->len = (size_t)size;
    pool->bytes = malloc(pool->len + 1);
    if (!pool->bytes || fread(pool->bytes, 1, pool->len, f) != pool->len) {
        fclose(f);
        return pool_fail(pool, errstr, errlen, "%s: cannot read %zu bytes", path, pool->len);
    }
    fclose(f);
    size_t lines = 0;
    for (size_t i = 0; i < pool->len; i++) lines += pool->bytes[i] == '\n';
    if (lines == 0) return pool_fail(pool, errstr, errlen, "%s: no records", path);
    pool->records = calloc(lines, sizeof *pool->records);
    if (!pool->records) return pool_fail(pool, errstr, errlen, "%s: out of memory", path);

    char *p = pool->bytes, *end = pool->bytes + pool->len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return pool_fail(pool, errstr, errlen, "%s:%zu: last line has no newline", path,
                             pool->count + 1);
        char *tab = memchr(p, '\t', (size_t)(nl - p));
        if (!tab)
            return pool_fail(pool, errstr, errlen, "%s:%zu: expected KEY<TAB>VALUE", path,
                             pool->count + 1);
        bench_record *r = &pool->records[pool->count++];
        r->key = p;
        r->key_len = (int32_t)(tab - p);
        r->value = tab + 1;
        r->value_len = (int32_t)(nl - tab - 1);
        pool->payload_bytes += (uint64_t)r->key_len + (uint64_t)r->value_len;
        p = nl + 1;
    }
    return 0;
}

void bench_pool_free(bench_pool *pool) {
    free(pool->bytes);
    free(pool->records);
    memset(pool, 0, sizeof *pool);
}
