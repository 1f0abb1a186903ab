/* measure.c — runs one command and reports what it cost: wall time, user and
 * system CPU seconds and peak RSS, from wait4()'s rusage of that child. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_clock.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod-bench-measure -o FILE -- COMMAND [ARGS...]\n\n"
            "Runs COMMAND (stdin, stdout and stderr passed through) and writes one line\n"
            "to FILE:\n"
            "  measure: status=N wall_s=S user_s=S sys_s=S maxrss_kb=N\n"
            "status is the exit status, or 128+signal. Exits with the same status;\n"
            "2 when COMMAND cannot be started.\n");
}

static volatile pid_t child;

/* A stop asked of us (by scripts/bench's timeout or ^C) is passed on to the
 * command, whose status we then still report. */
static void forward_signal(int sig) {
    if (child > 0) kill(child, sig);
}

static double tv_seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
    const char *out_path = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out_path = argv[++i];
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "kprod-bench-measure: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!out_path || i >= argc) {
        usage(stderr);
        return 2;
    }
    FILE *out = fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "kprod-bench-measure: cannot write %s: %s\n", out_path, strerror(errno));
        return 2;
    }

    int64_t start = bench_now_us();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kprod-bench-measure: fork: %s\n", strerror(errno));
        fclose(out);
        return 2;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        fprintf(stderr, "kprod-bench-measure: cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    child = pid;
    struct sigaction sa = {.sa_handler = forward_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int wstatus = 0;
    struct rusage ru;
    while (wait4(pid, &wstatus, 0, &ru) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "kprod-bench-measure: wait4: %s\n", strerror(errno));
            fclose(out);
            return 2;
        }
    double wall = (double)(bench_now_us() - start) / 1e6;
    int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    fprintf(out, "measure: status=%d wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kb=%ld\n", status,
            wall, tv_seconds(ru.ru_utime), tv_seconds(ru.ru_stime), ru.ru_maxrss);
    fclose(out);
    return status;
}
