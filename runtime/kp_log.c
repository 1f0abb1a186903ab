/* kp_log.c — leveled log lines on stderr (or a sink the embedder installs). */
#include "kp_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

kp_log_level kp_log_threshold = KP_LOG_WARN;
static kp_log_sink *log_sink;
static void *log_sink_ud;

int kp_log_level_from_name(const char *name) {
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, level_names[i])) return i;
    return -1;
}

/* Reads $KPROD_LOG_LEVEL before main runs, so every entry point honours it. */
__attribute__((constructor)) static void log_init_from_env(void) {
    int l = kp_log_level_from_name(getenv("KPROD_LOG_LEVEL"));
    if (l >= 0) kp_log_threshold = (kp_log_level)l;
}

void kp_log_set_level(kp_log_level level) { kp_log_threshold = level; }

void kp_log_set_sink(kp_log_sink *sink, void *ud) {
    log_sink = sink;
    log_sink_ud = ud;
}

void kp_log_write(kp_log_level level, const char *fmt, ...) {
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld kprod %s: ", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (log_sink) log_sink(level, line, log_sink_ud);
    else fprintf(stderr, "%s\n", line);
}
