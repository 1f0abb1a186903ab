/* kp_lua_util.c — small helpers the Lua side calls through the FFI: clock, sleep, random bytes, struct sizes. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "kp_lua.h"
#include "kp_partitioner.h"
#include "kp_time.h"

double kp_lua_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static volatile sig_atomic_t interrupts, first_signal;

void kp_lua_interrupt(int signo) {
    if (!interrupts) first_signal = signo;
    interrupts++;
}

int kp_lua_interrupted(void) { return interrupts; }
int kp_lua_interrupt_signal(void) { return first_signal; }

void kp_lua_sleep_ms(double ms) {
    if (!(ms > 0)) return;
    struct timespec ts = {(time_t)(ms / 1e3), (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6)};
    while (nanosleep(&ts, &ts) && errno == EINTR && !interrupts) {
    }
}

void kp_lua_random_fill(uint32_t *state, uint8_t *buf, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = kp_rand32(state);
        memcpy(buf + i, &v, 4);
    }
    if (i < n) {
        uint32_t v = kp_rand32(state);
        memcpy(buf + i, &v, n - i);
    }
}

size_t kp_lua_sizeof(const char *type) {
    if (!strcmp(type, "kp_lua_report")) return sizeof(kp_lua_report);
    if (!strcmp(type, "kp_lua_producer")) return sizeof(kp_lua_producer);
    if (!strcmp(type, "kp_header")) return sizeof(kp_header);
    if (!strcmp(type, "kp_lua_slice")) return sizeof(kp_lua_slice);
    return 0;
}
