/* kp_time.h — the monotonic and wall clocks the producer schedules by. */
#ifndef KP_TIME_H
#define KP_TIME_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds: every deadline, linger and backoff is measured on it. */
static inline int64_t kp_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wall-clock milliseconds since the epoch: record timestamps (CreateTime). */
static inline int64_t kp_wallclock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* kp_wallclock_ms() at the moment of now_us (a kp_now_us reading), without
 * reading the wall clock on every call: the send path's record timestamps. */
int64_t kp_wallclock_ms_at(int64_t now_us);

#define KP_MS(ms) ((int64_t)(ms) * 1000)

#endif
