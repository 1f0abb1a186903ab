/* bench_hist.h — latency histogram: log-linear microsecond buckets within
 * 0.8% of the value, constant memory, percentiles. bench/kprod_bench.lua
 * buckets the same way, so both sides report comparable percentiles. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

/* Values below 256 us get their own bucket; above, each power of two is cut
 * into 128 buckets. 32 - 8 octaves of 128 after the first 256 cover 2^32 us. */
#define BENCH_HIST_BUCKETS (256 + 24 * 128)

typedef struct bench_hist {
    uint64_t counts[BENCH_HIST_BUCKETS];
    uint64_t total;
    int64_t max_us;
} bench_hist;

/* Counts one latency (negative counts as 0, past 2^32 us as the last bucket). */
void bench_hist_add(bench_hist *h, int64_t us);
/* The highest value of the bucket holding the pct-th percentile (0 < pct <=
 * 100), so a reported percentile is never below the true one; 0 when empty. */
int64_t bench_hist_percentile(const bench_hist *h, double pct);

#endif
