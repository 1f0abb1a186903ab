/* kp_hdr.c — HDR histograms with HdrHistogram's bucket layout (so its
 * encodings and percentiles match): record, merge, percentiles, iterate. */
#include "kp_hdr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RELAXED memory_order_relaxed

static int32_t buckets_to_cover(int64_t value, int32_t sub_bucket_count, int32_t unit_magnitude) {
    int64_t smallest_untrackable = (int64_t)sub_bucket_count << unit_magnitude;
    int32_t buckets = 1;
    while (smallest_untrackable <= value) {
        if (smallest_untrackable > INT64_MAX / 2) return buckets + 1;
        smallest_untrackable <<= 1;
        buckets++;
    }
    return buckets;
}

kp_hdr *kp_hdr_new(int64_t lowest, int64_t highest, int sig_figs) {
    if (lowest < 1 || sig_figs < 1 || sig_figs > 5 || highest < 2 * lowest) return NULL;
    kp_hdr *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    int64_t single_unit_resolution = 2 * (int64_t)pow(10, sig_figs);
    int32_t sub_bucket_count_magnitude = (int32_t)ceil(log2((double)single_unit_resolution));
    h->lowest = lowest;
    h->highest = highest;
    h->sig_figs = sig_figs;
    h->sub_bucket_half_count_magnitude =
        (sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude : 1) - 1;
    h->unit_magnitude = (int32_t)floor(log2((double)lowest));
    h->sub_bucket_count = 1 << (h->sub_bucket_half_count_magnitude + 1);
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << h->unit_magnitude;
    h->bucket_count = buckets_to_cover(highest, h->sub_bucket_count, h->unit_magnitude);
    h->counts_len = (h->bucket_count + 1) * h->sub_bucket_half_count;
    h->counts = calloc((size_t)h->counts_len, sizeof *h->counts);
    if (!h->counts) {
        free(h);
        return NULL;
    }
    atomic_init(&h->min, INT64_MAX);
    return h;
}

kp_hdr *kp_hdr_new_latency(void) {
    return kp_hdr_new(KP_HDR_LOWEST, KP_HDR_HIGHEST, KP_HDR_SIG_FIGS);
}

void kp_hdr_free(kp_hdr *h) {
    if (!h) return;
    free((void *)h->counts);
    free(h);
}

void kp_hdr_reset(kp_hdr *h) {
    for (int32_t i = 0; i < h->counts_len; i++) atomic_store_explicit(&h->counts[i], 0, RELAXED);
    atomic_store(&h->total, 0);
    atomic_store(&h->min, INT64_MAX);
    atomic_store(&h->max, 0);
    atomic_store(&h->clamped, 0);
}

/* ---- HdrHistogram's index arithmetic ---- */

static int32_t bucket_index(const kp_hdr *h, int64_t v) {
    int32_t pow2ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));
    return pow2ceiling - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
}

static int32_t sub_bucket_index(const kp_hdr *h, int64_t v, int32_t bucket) {
    return (int32_t)(v >> (bucket + h->unit_magnitude));
}

static int32_t counts_index_for(const kp_hdr *h, int64_t v) {
    int32_t b = bucket_index(h, v), sb = sub_bucket_index(h, v, b);
    return ((b + 1) << h->sub_bucket_half_count_magnitude) + (sb - h->sub_bucket_half_count);
}

static int64_t value_at_index(const kp_hdr *h, int32_t index) {
    int32_t b = (index >> h->sub_bucket_half_count_magnitude) - 1;
    int32_t sb = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;
    if (b < 0) {
        sb -= h->sub_bucket_half_count;
        b = 0;
    }
    return (int64_t)sb << (b + h->unit_magnitude);
}

int64_t kp_hdr_lowest_equivalent(const kp_hdr *h, int64_t v) {
    int32_t b = bucket_index(h, v), sb = sub_bucket_index(h, v, b);
    return (int64_t)sb << (b + h->unit_magnitude);
}

static int64_t equivalent_range(const kp_hdr *h, int64_t v) {
    int32_t b = bucket_index(h, v), sb = sub_bucket_index(h, v, b);
    int32_t adjusted = sb >= h->sub_bucket_count ? b + 1 : b;
    return (int64_t)1 << (h->unit_magnitude + adjusted);
}

int64_t kp_hdr_highest_equivalent(const kp_hdr *h, int64_t v) {
    return kp_hdr_lowest_equivalent(h, v) + equivalent_range(h, v) - 1;
}

/* ---- recording and merging ---- */

static void update_min_max(kp_hdr *h, int64_t v) {
    int64_t cur = atomic_load_explicit(&h->min, RELAXED);
    while (v < cur && !atomic_compare_exchange_weak_explicit(&h->min, &cur, v, RELAXED, RELAXED)) {
    }
    cur = atomic_load_explicit(&h->max, RELAXED);
    while (v > cur && !atomic_compare_exchange_weak_explicit(&h->max, &cur, v, RELAXED, RELAXED)) {
    }
}

void kp_hdr_record_n(kp_hdr *h, int64_t value, int64_t count) {
    if (count <= 0) return;
    if (value < 0) value = 0;
    if (value > h->highest) {
        value = h->highest;
        atomic_fetch_add_explicit(&h->clamped, count, RELAXED);
    }
    atomic_fetch_add_explicit(&h->counts[counts_index_for(h, value)], count, RELAXED);
    atomic_fetch_add_explicit(&h->total, count, RELAXED);
    update_min_max(h, value);
}

static int same_layout(const kp_hdr *a, const kp_hdr *b) {
    return a->lowest == b->lowest && a->highest == b->highest && a->sig_figs == b->sig_figs;
}

int kp_hdr_add(kp_hdr *dst, const kp_hdr *src) {
    if (!same_layout(dst, src)) return -1;
    for (int32_t i = 0; i < src->counts_len; i++) {
        int64_t c = atomic_load_explicit(&src->counts[i], RELAXED);
        if (c) atomic_fetch_add_explicit(&dst->counts[i], c, RELAXED);
    }
    atomic_fetch_add(&dst->total, atomic_load(&src->total));
    atomic_fetch_add(&dst->clamped, atomic_load(&src->clamped));
    if (atomic_load(&src->total)) {
        update_min_max(dst, atomic_load(&src->min));
        update_min_max(dst, atomic_load(&src->max));
    }
    return 0;
}

void kp_hdr_copy(kp_hdr *dst, const kp_hdr *src) {
    for (int32_t i = 0; i < src->counts_len; i++)
        atomic_store_explicit(&dst->counts[i], atomic_load_explicit(&src->counts[i], RELAXED), RELAXED);
    atomic_store(&dst->total, atomic_load(&src->total));
    atomic_store(&dst->min, atomic_load(&src->min));
    atomic_store(&dst->max, atomic_load(&src->max));
    atomic_store(&dst->clamped, atomic_load(&src->clamped));
}

void kp_hdr_subtract(kp_hdr *dst, const kp_hdr *src) {
    for (int32_t i = 0; i < dst->counts_len; i++) {
        int64_t c = atomic_load_explicit(&dst->counts[i], RELAXED) -
                    atomic_load_explicit(&src->counts[i], RELAXED);
        atomic_store_explicit(&dst->counts[i], c < 0 ? 0 : c, RELAXED);
    }
    kp_hdr_recount(dst);
}

void kp_hdr_recount(kp_hdr *h) {
    int64_t total = 0, lo = INT64_MAX, hi = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        int64_t c = atomic_load_explicit(&h->counts[i], RELAXED);
        if (!c) continue;
        total += c;
        int64_t v = value_at_index(h, i);
        if (v < lo) lo = v;
        hi = v;
    }
    atomic_store(&h->total, total);
    atomic_store(&h->min, lo);
    atomic_store(&h->max, hi);
    atomic_store(&h->clamped, 0);
}

/* ---- queries ---- */

int64_t kp_hdr_total(const kp_hdr *h) { return atomic_load(&h->total); }

int64_t kp_hdr_min(const kp_hdr *h) {
    return atomic_load(&h->total) ? kp_hdr_lowest_equivalent(h, atomic_load(&h->min)) : 0;
}

int64_t kp_hdr_max(const kp_hdr *h) {
    return atomic_load(&h->total) ? kp_hdr_highest_equivalent(h, atomic_load(&h->max)) : 0;
}

int kp_hdr_next(const kp_hdr *h, int32_t *index, int64_t *lo, int64_t *hi, int64_t *count) {
    for (int32_t i = *index + 1; i < h->counts_len; i++) {
        int64_t c = atomic_load_explicit(&h->counts[i], RELAXED);
        if (!c) continue;
        *index = i;
        *lo = value_at_index(h, i);
        *hi = kp_hdr_highest_equivalent(h, *lo);
        *count = c;
        return 1;
    }
    *index = h->counts_len;
    return 0;
}

double kp_hdr_mean(const kp_hdr *h) {
    int32_t i = -1;
    int64_t lo, hi, c, n = 0;
    double sum = 0;
    while (kp_hdr_next(h, &i, &lo, &hi, &c)) {
        /* HdrHistogram's median equivalent value: the bucket's middle. */
        sum += (double)c * (double)(lo + (hi - lo + 1) / 2);
        n += c;
    }
    return n ? sum / (double)n : 0;
}

int64_t kp_hdr_percentile(const kp_hdr *h, double percentile) {
    int64_t total = atomic_load(&h->total);
    if (!total) return 0;
    double p = percentile < 100.0 ? percentile : 100.0;
    int64_t want = (int64_t)(p / 100.0 * (double)total + 0.5);
    if (want < 1) want = 1;
    int64_t seen = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        seen += atomic_load_explicit(&h->counts[i], RELAXED);
        if (seen >= want) {
            int64_t v = value_at_index(h, i);
            return percentile == 0.0 ? kp_hdr_lowest_equivalent(h, v) : kp_hdr_highest_equivalent(h, v);
        }
    }
    return kp_hdr_max(h); /* counts moved under a concurrent recorder */
}

int32_t kp_hdr_counts_index_for(const kp_hdr *h, int64_t v) { return counts_index_for(h, v); }
int64_t kp_hdr_value_at_index(const kp_hdr *h, int32_t index) { return value_at_index(h, index); }
