/* bench_clock.h — the monotonic microsecond clock every bench program times with. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds (CLOCK_MONOTONIC), the same clock kprod schedules by. */
static inline int64_t bench_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleeps about us microseconds (no-op for us <= 0); EINTR ends it early. */
static inline void bench_sleep_us(int64_t us) {
    if (us <= 0) return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

#endif
