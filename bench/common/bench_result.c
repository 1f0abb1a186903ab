/* bench_result.c — prints the "bench: key=value ..." result line. */
#include "bench_result.h"

#include <inttypes.h>

void bench_result_print(FILE *out, const bench_result *r) {
    fprintf(out,
            "bench: records=%" PRIu64 " acked=%" PRIu64 " failed=%" PRIu64 " bytes=%" PRIu64
            " seconds=%.6f",
            r->records, r->acked, r->failed, r->bytes, r->seconds);
    if (r->wire_bytes) fprintf(out, " wire_bytes=%" PRIu64, r->wire_bytes);
    if (r->latency)
        fprintf(out,
                " rate=%.0f achieved_rate=%.0f latency_count=%" PRIu64 " p50_us=%" PRId64
                " p99_us=%" PRId64 " p999_us=%" PRId64 " max_us=%" PRId64,
                r->rate, r->achieved_rate, r->latency->total,
                bench_hist_percentile(r->latency, 50), bench_hist_percentile(r->latency, 99),
                bench_hist_percentile(r->latency, 99.9), r->latency->max_us);
    fputc('\n', out);
    fflush(out);
}
