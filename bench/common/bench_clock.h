/* bench_clock.h — the monotonic microsecond clock every bench program times with:
 * kprod's own (runtime/kp_time.h), so both sides of a comparison read one clock. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "../../runtime/kp_time.h"

#define bench_now_us kp_now_us

/* Sleeps about us microseconds (no-op for us <= 0); EINTR ends it early. */
static inline void bench_sleep_us(int64_t us) {
    if (us <= 0) return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

#endif
