/* test_hdr.c — HDR histograms: the error bound over 1 us .. 1 h, merge
 * equals the histogram of the union, percentiles, and the V2 compressed
 * encoding (round trip, and streams HdrHistogram wrote). */
#include <math.h>
#include <stdlib.h>

#include "kp_hdr.h"
#include "kp_test.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A log-uniform value between 1 us and 1 hour. */
static int64_t random_latency(void) {
    double u = (double)(next_rand() >> 11) / 9007199254740992.0;
    return (int64_t)exp(u * log((double)KP_HDR_HIGHEST));
}

static void test_layout(void) {
    kp_hdr *h = kp_hdr_new_latency();
    KP_CHECK(h != NULL);
    /* 2 significant digits: 256 sub-buckets, as HdrHistogram lays them out. */
    KP_CHECK_INT(h->sub_bucket_count, 256);
    KP_CHECK_INT(h->bucket_count, 25);
    KP_CHECK_INT(h->counts_len, 26 * 128);
    KP_CHECK(kp_hdr_new(0, 100, 2) == NULL);
    KP_CHECK(kp_hdr_new(1, 100, 6) == NULL);
    kp_hdr_free(h);
}

static void test_error_bound(void) {
    kp_hdr *h = kp_hdr_new_latency();
    double worst = 0;
    for (int i = 0; i < 200000; i++) {
        int64_t v = random_latency();
        int64_t lo = kp_hdr_lowest_equivalent(h, v), hi = kp_hdr_highest_equivalent(h, v);
        KP_CHECK(lo <= v && v <= hi);
        double err = (double)(hi - lo) / (double)v;
        if (err > worst) worst = err;
    }
    KP_CHECK(worst <= 0.01);
    /* Exact up to 256 us: one value per bucket. */
    for (int64_t v = 0; v < 256; v++) KP_CHECK_INT(kp_hdr_highest_equivalent(h, v), v);
    kp_hdr_record(h, KP_HDR_HIGHEST * 2); /* clamped, counted */
    KP_CHECK_INT(atomic_load(&h->clamped), 1);
    KP_CHECK(kp_hdr_max(h) >= KP_HDR_HIGHEST);
    kp_hdr_free(h);
}

static void test_percentiles(void) {
    kp_hdr *h = kp_hdr_new_latency();
    KP_CHECK_INT(kp_hdr_percentile(h, 50), 0);
    for (int64_t v = 1; v <= 10000; v++) kp_hdr_record(h, v); /* 1 us .. 10 ms */
    KP_CHECK_INT(kp_hdr_total(h), 10000);
    struct { double p; int64_t want; } cases[] = {{50, 5000}, {90, 9000}, {99, 9900}, {99.9, 9990}, {100, 10000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t got = kp_hdr_percentile(h, cases[i].p);
        KP_CHECK(fabs((double)(got - cases[i].want)) <= 0.01 * (double)cases[i].want);
    }
    KP_CHECK_INT(kp_hdr_min(h), 1);
    KP_CHECK(fabs(kp_hdr_mean(h) - 5000.5) < 50);
    /* A stall: 1% of the values at 1 s moves p99.9, not p50. */
    for (int i = 0; i < 101; i++) kp_hdr_record(h, 1000000);
    KP_CHECK(kp_hdr_percentile(h, 99.99) >= 990000);
    KP_CHECK(kp_hdr_percentile(h, 50) < 5100);
    kp_hdr_free(h);
}

static int same_counts(const kp_hdr *a, const kp_hdr *b) {
    if (a->counts_len != b->counts_len || kp_hdr_total(a) != kp_hdr_total(b)) return 0;
    for (int32_t i = 0; i < a->counts_len; i++)
        if (atomic_load(&a->counts[i]) != atomic_load(&b->counts[i])) return 0;
    return kp_hdr_min(a) == kp_hdr_min(b) && kp_hdr_max(a) == kp_hdr_max(b);
}

static void test_merge_is_union(void) {
    kp_hdr *a = kp_hdr_new_latency(), *b = kp_hdr_new_latency(), *all = kp_hdr_new_latency();
    for (int i = 0; i < 50000; i++) {
        int64_t v = random_latency();
        kp_hdr_record(i % 3 ? a : b, v);
        kp_hdr_record(all, v);
    }
    KP_CHECK_INT(kp_hdr_add(a, b), 0);
    KP_CHECK(same_counts(a, all));
    for (double p = 0; p <= 100; p += 0.5) KP_CHECK_INT(kp_hdr_percentile(a, p), kp_hdr_percentile(all, p));
    kp_hdr *other = kp_hdr_new(1, 1000, 3);
    KP_CHECK_INT(kp_hdr_add(a, other), -1);
    /* An interval is the difference of two snapshots. */
    kp_hdr *snap = kp_hdr_new_latency();
    kp_hdr_copy(snap, all);
    kp_hdr_record_n(all, 777, 5);
    kp_hdr_subtract(all, snap);
    KP_CHECK_INT(kp_hdr_total(all), 5);
    KP_CHECK_INT(kp_hdr_max(all), kp_hdr_highest_equivalent(all, 777));
    kp_hdr_free(a), kp_hdr_free(b), kp_hdr_free(all), kp_hdr_free(other), kp_hdr_free(snap);
}

static void test_iterate(void) {
    kp_hdr *h = kp_hdr_new_latency();
    kp_hdr_record_n(h, 10, 3);
    kp_hdr_record_n(h, 100000, 2);
    int32_t i = -1;
    int64_t lo, hi, c, n = 0, buckets = 0;
    while (kp_hdr_next(h, &i, &lo, &hi, &c)) {
        KP_CHECK(buckets == 0 ? lo == 10 && hi == 10 : lo <= 100000 && 100000 <= hi);
        n += c, buckets++;
    }
    KP_CHECK_INT(buckets, 2);
    KP_CHECK_INT(n, 5);
    kp_hdr_free(h);
}

static void test_encoding(void) {
    kp_hdr *h = kp_hdr_new_latency();
    char err[256];
    for (int i = 0; i < 20000; i++) kp_hdr_record(h, random_latency() / 1000);
    char *text = kp_hdr_encode(h);
    KP_CHECK(text != NULL);
    /* "HISTF": the base64 of the V2 compression cookie 0x1c849314, as every
     * interval log line written by HdrHistogram starts. */
    KP_CHECK(strncmp(text, "HISTF", 5) == 0);
    kp_hdr *back = kp_hdr_decode(text, strlen(text), err, sizeof err);
    KP_CHECK(back != NULL);
    if (back) KP_CHECK(same_counts(h, back));
    free(text);
    kp_hdr_free(back);

    /* An empty histogram is the 40 header bytes alone. */
    kp_hdr *empty = kp_hdr_new_latency();
    text = kp_hdr_encode(empty);
    back = kp_hdr_decode(text, strlen(text), err, sizeof err);
    KP_CHECK(back && kp_hdr_total(back) == 0 && back->highest == KP_HDR_HIGHEST && back->sig_figs == 2);
    free(text);
    kp_hdr_free(back);
    kp_hdr_free(empty);

    /* Streams written by HdrHistogram itself: Java and C agree byte for byte
     * on (1, 2048, 3) holding one 2048; a port's (1, 300, 3) with 100, 200,
     * 250. kprod must decode both and write the first identically. */
    const char *foreign = "HISTFAAAACB4nJNpmSzMwMDAzAABMJoRQnEw2H+AsP7LMwEARZgDpQ==";
    back = kp_hdr_decode(foreign, strlen(foreign), err, sizeof err);
    KP_CHECK(back && kp_hdr_total(back) == 1 && back->highest == 2048 &&
             kp_hdr_max(back) == kp_hdr_highest_equivalent(back, 2048) && kp_hdr_min(back) == 2048);
    if (back) {
        text = kp_hdr_encode(back);
        KP_CHECK_STR(text, foreign);
        free(text);
    }
    kp_hdr_free(back);
    const char *port = "HISTFAAAACV4nJNpmSzMwMDAwQABzFCaEUrp2H+AsI4zMh1lZEpkAgBdIQSk";
    back = kp_hdr_decode(port, strlen(port), err, sizeof err);
    KP_CHECK(back && kp_hdr_total(back) == 3 && kp_hdr_min(back) == 100 && kp_hdr_max(back) == 250);
    kp_hdr_free(back);

    KP_CHECK(kp_hdr_decode("not base64!", 11, err, sizeof err) == NULL);
    KP_CHECK(kp_hdr_decode("AAAAAAAAAAAA", 12, err, sizeof err) == NULL);
    KP_CHECK(strstr(err, "V2 compressed") != NULL);
    kp_hdr_free(h);
}

static void test_interval_log(void) {
    kp_hdr *h = kp_hdr_new_latency();
    kp_hdr_record_n(h, 1500, 10);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    KP_CHECK_INT(kp_hdr_log_header(f, 1700000000.0, "kprod"), 0);
    KP_CHECK_INT(kp_hdr_log_interval(f, NULL, 1.0, 1.0, h), 0);
    fclose(f);
    KP_CHECK(strstr(buf, "#[Histogram log format version 1.3]\n") != NULL);
    KP_CHECK(strstr(buf, "#[StartTime: 1700000000.000 (seconds since epoch), ") != NULL);
    KP_CHECK(strstr(buf, "\n1.000,1.000,1.503,HISTF") != NULL);
    free(buf);
    kp_hdr_free(h);
}

int main(void) {
    KP_RUN(test_layout);
    KP_RUN(test_error_bound);
    KP_RUN(test_percentiles);
    KP_RUN(test_merge_is_union);
    KP_RUN(test_iterate);
    KP_RUN(test_encoding);
    KP_RUN(test_interval_log);
    return kp_test_report();
}
