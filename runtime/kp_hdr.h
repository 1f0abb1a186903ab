/* kp_hdr.h — HDR latency histograms (HdrHistogram's layout): log-linear
 * buckets, thread-safe recording, merge, percentiles, and HdrHistogram's
 * "V2 compressed" encoding and interval-log lines. */
#ifndef KP_HDR_H
#define KP_HDR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A histogram of positive integers (kprod records microseconds) between
 * `lowest` (>= 1) and `highest`, with `sig_figs` (1..5) significant decimal
 * digits: every value is kept within 1 part in 10^sig_figs of the truth
 * (sig_figs 2: <= 0.79% relative error). Values above `highest` are clamped
 * to it and counted in `clamped`. Counters are atomics so any thread may
 * record while another reads (a reader sees a slightly moving snapshot). */
typedef struct kp_hdr {
    int64_t lowest, highest;
    int32_t sig_figs;
    int32_t unit_magnitude;
    int32_t sub_bucket_half_count_magnitude;
    int32_t sub_bucket_count, sub_bucket_half_count;
    int64_t sub_bucket_mask;
    int32_t bucket_count;
    int32_t counts_len;
    _Atomic int64_t total, min, max, clamped;
    _Atomic int64_t *counts; /* counts_len entries */
} kp_hdr;

/* kprod's latency histograms: 1 us to 1 hour, 2 significant digits. */
#define KP_HDR_LOWEST 1
#define KP_HDR_HIGHEST 3600000000LL
#define KP_HDR_SIG_FIGS 2

/* Allocates an empty histogram; NULL for bad bounds or out of memory. */
kp_hdr *kp_hdr_new(int64_t lowest, int64_t highest, int sig_figs);
/* kp_hdr_new(KP_HDR_LOWEST, KP_HDR_HIGHEST, KP_HDR_SIG_FIGS). */
kp_hdr *kp_hdr_new_latency(void);
void kp_hdr_free(kp_hdr *h);
void kp_hdr_reset(kp_hdr *h);

/* Records value `count` times (thread-safe). Values below lowest count as
 * lowest (a 0 us latency is below what the clock resolves). */
void kp_hdr_record_n(kp_hdr *h, int64_t value, int64_t count);
static inline void kp_hdr_record(kp_hdr *h, int64_t value) { kp_hdr_record_n(h, value, 1); }

/* Adds every count of src into dst (same lowest/highest/sig_figs, else -1;
 * values of src above dst's range are clamped). Returns 0. */
int kp_hdr_add(kp_hdr *dst, const kp_hdr *src);
/* dst -= src bucket by bucket (an interval from two snapshots; src must be
 * an earlier copy of dst). min/max of the result are recomputed. */
void kp_hdr_subtract(kp_hdr *dst, const kp_hdr *src);
/* Copies src's counts into dst (same layout). */
void kp_hdr_copy(kp_hdr *dst, const kp_hdr *src);

int64_t kp_hdr_total(const kp_hdr *h);
int64_t kp_hdr_min(const kp_hdr *h);   /* 0 when empty */
int64_t kp_hdr_max(const kp_hdr *h);   /* 0 when empty; highest equivalent value */
double kp_hdr_mean(const kp_hdr *h);
/* The value at or below which `percentile` (0..100) percent of the recorded
 * values lie, as HdrHistogram reports it (the bucket's highest equivalent
 * value). 0 when empty. */
int64_t kp_hdr_percentile(const kp_hdr *h, double percentile);

/* Values that fall into the same bucket as v: [lowest_equivalent, highest_equivalent]. */
int64_t kp_hdr_lowest_equivalent(const kp_hdr *h, int64_t v);
int64_t kp_hdr_highest_equivalent(const kp_hdr *h, int64_t v);

/* Iterates the non-empty buckets in value order: start with *index = -1;
 * returns 1 with the bucket's value range and count, 0 at the end. */
int kp_hdr_next(const kp_hdr *h, int32_t *index, int64_t *lo, int64_t *hi, int64_t *count);

/* The bucket arithmetic kp_hdr_codec.c shares: the counts index of a value,
 * and the lowest value of a counts index. */
int32_t kp_hdr_counts_index_for(const kp_hdr *h, int64_t v);
int64_t kp_hdr_value_at_index(const kp_hdr *h, int32_t index);
/* Recomputes total, min and max from the counts (after writing counts). */
void kp_hdr_recount(kp_hdr *h);

/* ---- HdrHistogram's encodings (kp_hdr_codec.c) ---- */

/* The "V2 compressed" encoding, base64 (as interval logs and HdrHistogram's
 * decodeFromCompressedByteBuffer read it): cookie 0x1c849314, length, then
 * zlib DEFLATE of [cookie 0x1c849313, payload length, normalizing index
 * offset, significant figures, lowest, highest, conversion ratio 1.0, counts
 * as ZigZag LEB128 with runs of zeros as negative counts], big-endian.
 * Returns a malloc'd NUL-terminated string, NULL when out of memory. */
char *kp_hdr_encode(const kp_hdr *h);
/* Decodes kp_hdr_encode's output (or HdrHistogram's V2 compressed base64).
 * NULL with errstr set when the text is not one. */
kp_hdr *kp_hdr_decode(const char *base64, size_t len, char *errstr, size_t errlen);

/* HdrHistogram interval log (format 1.3): the header, then one line per
 * interval. Times in seconds relative to the log's start; values are us
 * and Interval_Max is printed in ms (max value unit ratio 1000). */
int kp_hdr_log_header(FILE *f, double start_epoch_s, const char *comment);
int kp_hdr_log_interval(FILE *f, const char *tag, double start_s, double length_s, const kp_hdr *h);

#endif
