/* kp_lua_hook_log.c — failures of Lua hooks, printed once per distinct message and counted. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_lua.h"

#define MAX_DISTINCT 32
#define KEY_MAX 240

typedef struct hook_entry {
    char what[32];
    char key[KEY_MAX]; /* the message's first line */
    uint64_t count;
} hook_entry;

struct kp_lua_hook_log {
    pthread_mutex_t lock;
    hook_entry entries[MAX_DISTINCT];
    int n;
    uint64_t total, unlisted; /* unlisted: failures past MAX_DISTINCT messages */
};

kp_lua_hook_log *kp_lua_hook_log_new(void) {
    kp_lua_hook_log *log = calloc(1, sizeof *log);
    if (log) pthread_mutex_init(&log->lock, NULL);
    return log;
}

void kp_lua_hook_log_add(kp_lua_hook_log *log, const char *what, const char *message) {
    if (!message) message = "(no message)";
    if (!log) {
        fprintf(stderr, "kprod: %s failed: %s\n", what, message);
        return;
    }
    char key[KEY_MAX];
    size_t len = strcspn(message, "\n");
    if (len >= sizeof key) len = sizeof key - 1;
    memcpy(key, message, len);
    key[len] = 0;
    pthread_mutex_lock(&log->lock);
    log->total++;
    int i = 0;
    while (i < log->n && (strcmp(log->entries[i].key, key) || strcmp(log->entries[i].what, what)))
        i++;
    int first = 0;
    if (i < log->n) {
        log->entries[i].count++;
    } else if (log->n < MAX_DISTINCT) {
        hook_entry *e = &log->entries[log->n++];
        snprintf(e->what, sizeof e->what, "%s", what);
        memcpy(e->key, key, len + 1);
        e->count = 1;
        first = 1;
    } else {
        log->unlisted++;
    }
    pthread_mutex_unlock(&log->lock);
    if (first)
        fprintf(stderr, "kprod: %s failed (reported once, then counted): %s\n", what, message);
}

uint64_t kp_lua_hook_log_count(kp_lua_hook_log *log) {
    if (!log) return 0;
    pthread_mutex_lock(&log->lock);
    uint64_t n = log->total;
    pthread_mutex_unlock(&log->lock);
    return n;
}

void kp_lua_hook_log_free(kp_lua_hook_log *log) {
    if (!log) return;
    for (int i = 0; i < log->n; i++)
        if (log->entries[i].count > 1)
            fprintf(stderr, "kprod: %s failed %llu times in all: %s\n", log->entries[i].what,
                    (unsigned long long)log->entries[i].count, log->entries[i].key);
    if (log->unlisted)
        fprintf(stderr, "kprod: %llu more hook failures with other messages\n",
                (unsigned long long)log->unlisted);
    pthread_mutex_destroy(&log->lock);
    free(log);
}
