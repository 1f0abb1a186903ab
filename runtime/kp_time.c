/* kp_time.c — record timestamps from the monotonic reading a send already
 * took, instead of a second clock read per record. */
#include <stdatomic.h>

#include "kp_time.h"

/* The wall clock's lead over the monotonic one is re-read at most this
 * often. NTP slews both clocks alike, so only a step of the wall clock
 * changes the lead, and a step shows in timestamps within this. */
#define REFRESH_US 100000

static _Atomic int64_t lead_us, lead_read_at_us;

int64_t kp_wallclock_ms_at(int64_t now_us) {
    int64_t at = atomic_load_explicit(&lead_read_at_us, memory_order_relaxed);
    int64_t lead = atomic_load_explicit(&lead_us, memory_order_relaxed);
    if (at == 0 || now_us - at > REFRESH_US) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        lead = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - now_us;
        atomic_store_explicit(&lead_us, lead, memory_order_relaxed);
        atomic_store_explicit(&lead_read_at_us, now_us, memory_order_relaxed);
    }
    return (now_us + lead) / 1000;
}
