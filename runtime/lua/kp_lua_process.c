/* kp_lua_process.c — a child process driven line by line over pipes: how Lua
 * talks to an external mock peer (`kprod mock`'s stdin commands, stdout answers). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp_lua.h"
#include "kp_time.h"

extern char **environ;

struct kp_lua_process {
    pid_t pid;
    int to_child, from_child;
    char buf[4096];
    size_t len;
};

kp_lua_process *kp_lua_process_spawn(const char *command, char *errstr, size_t errlen) {
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    kp_lua_process *pr = calloc(1, sizeof *pr);
    posix_spawn_file_actions_t fa;
    int fa_ready = 0;
    if (!pr || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        snprintf(errstr, errlen, "cannot create pipes: %s", strerror(errno));
        goto err;
    }
    if (posix_spawn_file_actions_init(&fa)) goto err;
    fa_ready = 1;
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char *argv[] = {"sh", "-c", NULL, NULL};
    size_t n = strlen(command) + 6;
    argv[2] = malloc(n);
    if (!argv[2]) goto err;
    snprintf(argv[2], n, "exec %s", command);
    int rc = posix_spawn(&pr->pid, "/bin/sh", &fa, NULL, argv, environ);
    free(argv[2]);
    if (rc) {
        snprintf(errstr, errlen, "cannot start '%s': %s", command, strerror(rc));
        goto err;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    pr->to_child = in[1];
    pr->from_child = out[0];
    return pr;
err:
    if (fa_ready) posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0) close(in[i]);
        if (out[i] >= 0) close(out[i]);
    }
    free(pr);
    return NULL;
}

int kp_lua_process_write(kp_lua_process *pr, const char *data, size_t len) {
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    while (len) {
        ssize_t w = write(pr->to_child, data, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        data += w;
        len -= (size_t)w;
    }
    signal(SIGPIPE, old);
    return rc;
}

int kp_lua_process_read_line(kp_lua_process *pr, char *line, size_t cap, int timeout_ms) {
    int64_t deadline = kp_now_us() + KP_MS(timeout_ms);
    for (;;) {
        char *nl = memchr(pr->buf, '\n', pr->len);
        if (nl) {
            size_t n = (size_t)(nl - pr->buf);
            size_t copy = n < cap - 1 ? n : cap - 1;
            memcpy(line, pr->buf, copy);
            line[copy] = 0;
            memmove(pr->buf, nl + 1, pr->len - n - 1);
            pr->len -= n + 1;
            return (int)copy;
        }
        if (pr->len == sizeof pr->buf) pr->len = 0; /* a line longer than the buffer: drop it */
        int64_t left = deadline - kp_now_us();
        if (left <= 0) return -1;
        struct pollfd pfd = {pr->from_child, POLLIN, 0};
        int r = poll(&pfd, 1, (int)(left / 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t got = read(pr->from_child, pr->buf + pr->len, sizeof pr->buf - pr->len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -2;
        pr->len += (size_t)got;
    }
}

int kp_lua_process_close(kp_lua_process *pr, int timeout_ms) {
    if (!pr) return 0;
    close(pr->to_child); /* EOF: the mock quits */
    int status = 0;
    int64_t deadline = kp_now_us() + KP_MS(timeout_ms);
    pid_t got;
    while ((got = waitpid(pr->pid, &status, WNOHANG)) == 0 && kp_now_us() < deadline)
        kp_lua_sleep_ms(10);
    if (got == 0) {
        kill(pr->pid, SIGKILL);
        waitpid(pr->pid, &status, 0);
    }
    close(pr->from_child);
    free(pr);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
