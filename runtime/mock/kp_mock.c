/* kp_mock.c: `kprod mock`, a kp_mock_cluster whose faults are injected by commands on stdin. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "kp_mock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp_mock_cluster.h"

#define KP_MOCK_LINE_MAX 1024 /* a longer stdin line is refused, not split */
#define KP_MOCK_ERRSTR_SIZE 512

struct kp_mock {
    kp_mock_cluster *cluster; /* owned */
    int quit;                 /* set by `quit` */
    int stdout_failed;        /* an answer could not be written... */
    int stdout_errno;         /* ...for this reason */
};

struct kp_mock_options {
    int broker_cnt;
    int verbose;
    kp_mock_cluster_topic_spec *topics; /* owned; up to argc entries */
    int topic_cnt;
};

static volatile sig_atomic_t kp_mock_signal_received;
static int kp_mock_signal_pipe[2] = {-1, -1};

static void kp_mock_usage(FILE *out) {
    fprintf(out,
            "usage: kprod mock [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]... "
            "[--verbose] [--help]\n"
            "Runs a librdkafka %s mock cluster (default %d brokers) on 127.0.0.1.\n"
            "The first stdout line is its bootstrap list; control commands are then read\n"
            "from stdin. EOF, `quit`, SIGINT and SIGTERM stop it.\n"
            "Metadata requests auto-create unknown topics (4 partitions); Produce does not.\n"
            "  --verbose  show librdkafka's logs and mock debug on stderr\n",
            kp_mock_cluster_rdkafka_version(), KP_MOCK_CLUSTER_DEFAULT_BROKERS);
    kp_mock_cluster_print_commands(out);
}

/* Writes one answer line and flushes it; remembers a failed write. */
static void kp_mock_reply(struct kp_mock *m, const char *prefix, const char *msg) {
    if (printf("%s%s\n", prefix, msg) < 0 || fflush(stdout) == EOF) {
        m->stdout_failed = 1;
        m->stdout_errno = errno;
    }
}

/* Runs one control line and answers it; blank and # lines get no answer,
 * `help` lists the commands on stderr, `quit` stops the loop after its `ok`. */
static void kp_mock_handle_line(struct kp_mock *m, const char *line) {
    char errstr[KP_MOCK_ERRSTR_SIZE];

    switch (kp_mock_cluster_command(m->cluster, line, errstr, sizeof(errstr))) {
    case -1:
        kp_mock_reply(m, "error: ", errstr);
        return;
    case KP_MOCK_LINE_BLANK:
        return;
    case KP_MOCK_LINE_HELP:
        kp_mock_cluster_print_commands(stderr);
        break;
    case KP_MOCK_LINE_QUIT:
        m->quit = 1;
        break;
    }
    kp_mock_reply(m, "", "ok");
}

static void kp_mock_on_signal(int signo) {
    int saved_errno = errno;
    ssize_t r;

    kp_mock_signal_received = signo;
    r = write(kp_mock_signal_pipe[1], "s", 1); /* full pipe: a wake-up is already pending */
    (void)r;
    errno = saved_errno;
}

/* Reads and answers control lines until EOF, `quit`, a signal or a dead
 * stdout; a closed stdin (stdin_open 0) counts as EOF. Returns 0, or 1
 * after an I/O error (reported on stderr). */
static int kp_mock_serve(struct kp_mock *m, int stdin_open) {
    struct pollfd fds[2];
    char line[KP_MOCK_LINE_MAX];
    char chunk[4096];
    char too_long[64];
    size_t line_len = 0;
    int line_too_long = 0, eof = 0;
    ssize_t got, i;

    if (!stdin_open)
        return 0;
    fds[0].fd = STDIN_FILENO;
    fds[0].events = POLLIN;
    fds[1].fd = kp_mock_signal_pipe[0];
    fds[1].events = POLLIN;

    while (!eof && !m->quit && !m->stdout_failed && !kp_mock_signal_received) {
        if (poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "kprod mock: poll on stdin failed: %s\n", strerror(errno));
            return 1;
        }
        if (fds[1].revents)
            break;
        if (!fds[0].revents)
            continue;

        got = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (got == -1) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fprintf(stderr, "kprod mock: reading stdin failed: %s\n", strerror(errno));
            return 1;
        }
        if (got == 0) {
            eof = 1;
            chunk[got++] = '\n'; /* a last line without its newline still counts */
        }
        for (i = 0; i < got && !m->quit && !m->stdout_failed; i++) {
            if (chunk[i] != '\n') {
                if (line_len < sizeof(line) - 1)
                    line[line_len++] = chunk[i];
                else
                    line_too_long = 1;
                continue;
            }
            line[line_len] = '\0';
            if (line_too_long) {
                snprintf(too_long, sizeof(too_long), "line longer than %zu bytes ignored",
                         sizeof(line) - 1);
                kp_mock_reply(m, "error: ", too_long);
            } else
                kp_mock_handle_line(m, line);
            line_len = 0;
            line_too_long = 0;
        }
    }
    if (m->stdout_failed) {
        fprintf(stderr, "kprod mock: cannot write answers to stdout: %s\n",
                strerror(m->stdout_errno));
        return 1;
    }
    return 0;
}

/* Routes SIGINT/SIGTERM to the self-pipe and ignores SIGPIPE (a closed
 * stdout becomes EPIPE, reported); saves the old actions in old[3]. */
static int kp_mock_signals_install(struct sigaction old[3]) {
    struct sigaction sa;
    int i;

    if (pipe(kp_mock_signal_pipe) == -1)
        return -1;
    for (i = 0; i < 2; i++) {
        fcntl(kp_mock_signal_pipe[i], F_SETFL, fcntl(kp_mock_signal_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(kp_mock_signal_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    kp_mock_signal_received = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kp_mock_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old[2]);
    return 0;
}

static void kp_mock_signals_restore(struct sigaction old[3]) {
    int i;

    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    sigaction(SIGPIPE, &old[2], NULL);
    for (i = 0; i < 2; i++) {
        close(kp_mock_signal_pipe[i]);
        kp_mock_signal_pipe[i] = -1;
    }
}

/* Matches argv[*i] against option `name`, given as "NAME VALUE" or
 * "NAME=VALUE". Returns 1 with *value set and *i on the value's word, 0 if
 * it is another option, -1 if the value is missing. */
static int kp_mock_option_value(int argc, char **argv, int *i, const char *name,
                                const char **value) {
    size_t len = strlen(name);

    if (strncmp(argv[*i], name, len) != 0)
        return 0;
    if (argv[*i][len] == '=') {
        *value = argv[*i] + len + 1;
        return 1;
    }
    if (argv[*i][len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

/* Parses argv (argv[0] is "mock") into opts, which owns opts->topics
 * afterwards (free() it, also on error). Returns 0, 1 when --help asks for
 * usage, or -1 with errstr filled. */
static int kp_mock_parse_options(int argc, char **argv, struct kp_mock_options *opts,
                                 char *errstr, size_t errstr_size) {
    const char *value;
    int i, matched;

    memset(opts, 0, sizeof(*opts));
    opts->broker_cnt = KP_MOCK_CLUSTER_DEFAULT_BROKERS;
    if (!(opts->topics = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*opts->topics)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
        if (!strcmp(argv[i], "--verbose")) {
            opts->verbose = 1;
            continue;
        }
        if ((matched = kp_mock_option_value(argc, argv, &i, "--brokers", &value)) == 1) {
            if (kp_mock_cluster_parse_int(value, "--brokers", 1, KP_MOCK_CLUSTER_MAX_BROKERS,
                                          &opts->broker_cnt, errstr, errstr_size) == -1)
                return -1;
            continue;
        }
        if (matched == 0 &&
            (matched = kp_mock_option_value(argc, argv, &i, "--topic", &value)) == 1) {
            if (kp_mock_cluster_parse_topic_spec(value, "--topic", &opts->topics[opts->topic_cnt],
                                                 errstr, errstr_size) == -1)
                return -1;
            opts->topic_cnt++;
            continue;
        }
        snprintf(errstr, errstr_size, matched == -1 ? "%s needs a value" : "unknown argument '%s'",
                 argv[i]);
        return -1;
    }
    return 0;
}

int kp_mock_main(int argc, char **argv) {
    struct kp_mock m = {0};
    struct kp_mock_options opts;
    struct sigaction old_actions[3];
    char errstr[KP_MOCK_ERRSTR_SIZE];
    int status = 2, signals_installed = 0, stdin_open, i, parsed;

    parsed = kp_mock_parse_options(argc, argv, &opts, errstr, sizeof(errstr));
    if (parsed == 1) {
        kp_mock_usage(stdout);
        status = 0;
        goto done;
    }
    if (parsed == -1) {
        fprintf(stderr, "kprod mock: %s (see kprod mock --help)\n", errstr);
        goto done;
    }
    /* Checked before the signal pipe can take over a free fd 0. */
    stdin_open = fcntl(STDIN_FILENO, F_GETFD) != -1;
    status = 1;
    if (kp_mock_signals_install(old_actions) == -1) {
        fprintf(stderr, "kprod mock: cannot create the signal pipe: %s\n", strerror(errno));
        goto done;
    }
    signals_installed = 1;
    if (!(m.cluster = kp_mock_cluster_new(opts.broker_cnt, opts.verbose, errstr, sizeof(errstr)))) {
        fprintf(stderr, "kprod mock: %s\n", errstr);
        goto done;
    }
    for (i = 0; i < opts.topic_cnt; i++) {
        if (kp_mock_cluster_create_topic(m.cluster, opts.topics[i].name, opts.topics[i].partitions,
                                         opts.topics[i].replication, errstr,
                                         sizeof(errstr)) == -1) {
            fprintf(stderr, "kprod mock: --topic: %s\n", errstr);
            status = 2;
            goto done;
        }
    }

    if (printf("%s\n", kp_mock_cluster_bootstraps(m.cluster)) < 0 || fflush(stdout) == EOF) {
        fprintf(stderr, "kprod mock: cannot write the bootstrap list to stdout: %s\n",
                strerror(errno));
        goto done;
    }
    status = kp_mock_serve(&m, stdin_open);

done:
    kp_mock_cluster_destroy(m.cluster);
    if (signals_installed)
        kp_mock_signals_restore(old_actions);
    free(opts.topics);
    return status;
}
