/* bench_result.h — the one result line every bench program prints, which
 * scripts/bench reads: "bench: records=N acked=N ... seconds=S [latency]". */
#ifndef BENCH_RESULT_H
#define BENCH_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include "bench_hist.h"

typedef struct bench_result {
    uint64_t records;    /* handed to the producer (or put on the wire) */
    uint64_t acked;      /* acknowledged (ceiling: fully written or answered) */
    uint64_t failed;
    uint64_t bytes;      /* key + value bytes of the acked records */
    uint64_t wire_bytes; /* request bytes sent, when the program knows (else 0) */
    double seconds;      /* first send to last acknowledgement */
    /* Fixed-rate runs only: the rate asked for, the rate the sends kept, and
     * send-to-acknowledgement latency from each record's intended send time. */
    double rate;
    double achieved_rate;
    const bench_hist *latency;
} bench_result;

/* Prints r as one "bench: key=value ..." line on out. */
void bench_result_print(FILE *out, const bench_result *r);

#endif
