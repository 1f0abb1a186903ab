/* bench_hist.c — log-linear latency histogram (see bench_hist.h). */
#include "bench_hist.h"

static int msb(uint64_t v) { return 63 - __builtin_clzll(v); }

static int bucket_of(int64_t us) {
    if (us < 0) us = 0;
    if (us < 256) return (int)us;
    if (us >= ((int64_t)1 << 32)) return BENCH_HIST_BUCKETS - 1;
    int m = msb((uint64_t)us); /* 8..31 */
    int shift = m - 7;          /* keeps the top 8 bits: 128..255 */
    return 256 + (m - 8) * 128 + (int)(((uint64_t)us >> shift) - 128);
}

static int64_t bucket_high(int b) {
    if (b < 256) return b;
    int m = 8 + (b - 256) / 128, shift = m - 7;
    int64_t top = 128 + (b - 256) % 128;
    return ((top + 1) << shift) - 1;
}

void bench_hist_add(bench_hist *h, int64_t us) {
    h->counts[bucket_of(us)]++;
    h->total++;
    if (us > h->max_us) h->max_us = us;
}

int64_t bench_hist_percentile(const bench_hist *h, double pct) {
    if (!h->total) return 0;
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)h->total + 0.5);
    if (rank < 1) rank = 1;
    if (rank > h->total) rank = h->total;
    uint64_t seen = 0;
    for (int b = 0; b < BENCH_HIST_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            int64_t high = bucket_high(b);
            return high < h->max_us ? high : h->max_us;
        }
    }
    return h->max_us;
}
