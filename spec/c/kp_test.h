/* kp_test.h — minimal assertion helpers for kprod's C unit tests.
 * A test file defines test functions, lists them in main with KP_RUN, and
 * returns kp_test_report(): non-zero exit when any check failed. */
#ifndef KP_TEST_H
#define KP_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int kp_test_checks, kp_test_failures;

#define KP_CHECK(cond)                                                              \
    do {                                                                            \
        kp_test_checks++;                                                           \
        if (!(cond)) {                                                              \
            kp_test_failures++;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                           \
    } while (0)

#define KP_CHECK_INT(a, b)                                                               \
    do {                                                                                 \
        long long kp_a_ = (long long)(a), kp_b_ = (long long)(b);                        \
        kp_test_checks++;                                                                \
        if (kp_a_ != kp_b_) {                                                            \
            kp_test_failures++;                                                          \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
                    #a, kp_a_, #b, kp_b_);                                               \
        }                                                                                \
    } while (0)

#define KP_CHECK_MEM(a, b, n) KP_CHECK(memcmp((a), (b), (n)) == 0)
#define KP_CHECK_STR(a, b) KP_CHECK(strcmp((a), (b)) == 0)

#define KP_RUN(fn)                                              \
    do {                                                        \
        int kp_before_ = kp_test_failures;                      \
        fn();                                                   \
        fprintf(stderr, "%s %s\n", kp_test_failures == kp_before_ ? "ok  " : "FAIL", #fn); \
    } while (0)

static inline int kp_test_report(void) {
    fprintf(stderr, "%d checks, %d failed\n", kp_test_checks, kp_test_failures);
    return kp_test_failures ? 1 : 0;
}

#endif
