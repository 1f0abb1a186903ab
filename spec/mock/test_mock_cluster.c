/* test_mock_cluster.c: kp_mock_cluster in-process: commands, their errors, their wire effect. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kp_mock_cluster.h"

#define TEST_ERRSTR_SIZE 512
#define TEST_IO_TIMEOUT_MS 2000
#define TEST_THREADS 4
/* librdkafka's mock thread sometimes misses the wake-up for a change made
 * through its op queue (rtt, down, up, leader, topic) and applies it at its
 * next 1 s poll timeout, in 2.0.2 and 2.12 alike: keep those few. */
#define TEST_COMMANDS_PER_THREAD 12

/* ApiVersions answered by a broker, or why not. */
#define TEST_NO_ANSWER (-1000) /* refused, closed or silent: the broker is down */

static int test_passed, test_failed;

static void test_check(int ok, const char *what, const char *detail) {
    if (ok) {
        test_passed++;
        printf("ok - %s\n", what);
    } else {
        test_failed++;
        printf("not ok - %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

/* Runs `line`, checks that it returns `want` and, when want is -1, that
 * errstr starts with `want_error`. */
static void test_command(kp_mock_cluster *m, const char *line, int want, const char *want_error) {
    char errstr[TEST_ERRSTR_SIZE] = "";
    char what[TEST_ERRSTR_SIZE + 64], detail[TEST_ERRSTR_SIZE + 64];
    int rc = kp_mock_cluster_command(m, line, errstr, sizeof(errstr));
    int ok = rc == want && (want != -1 || !strncmp(errstr, want_error, strlen(want_error)));

    if (want == -1)
        snprintf(what, sizeof(what), "'%s' -> error: %s", line, want_error);
    else
        snprintf(what, sizeof(what), "'%s' -> %d", line, want);
    snprintf(detail, sizeof(detail), "returned %d, errstr '%s'", rc, errstr);
    test_check(ok, what, ok ? NULL : detail);
}

static int64_t test_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The port of broker `id` (1-based) in a "host:port,host:port" list, or -1. */
static int test_broker_port(const char *bootstraps, int id) {
    const char *p = bootstraps;
    int i;

    for (i = 1; i < id && p; i++)
        if ((p = strchr(p, ',')))
            p++;
    if (!p || !(p = strchr(p, ':')))
        return -1;
    return atoi(p + 1);
}

/* Reads exactly n bytes within the deadline; 0, or -1 on EOF/error/timeout. */
static int test_read_full(int fd, unsigned char *buf, size_t n, int64_t deadline_ms) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    size_t got = 0;
    ssize_t r;

    while (got < n) {
        int64_t left = deadline_ms - test_now_ms();

        if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
            return -1;
        if ((r = read(fd, buf + got, n - got)) <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Sends ApiVersions v0 to 127.0.0.1:port on a new connection and returns
 * the response's ErrorCode, or TEST_NO_ANSWER. *elapsed_ms: request to
 * response. */
static int test_api_versions(int port, int64_t *elapsed_ms) {
    static const unsigned char request[] = {
        0, 0, 0, 14,              /* Size */
        0, 18, 0, 0,              /* RequestApiKey ApiVersions, RequestApiVersion 0 */
        0, 0, 0x12, 0x34,         /* CorrelationId */
        0, 4, 't', 'e', 's', 't', /* ClientId */
    };
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    unsigned char header[4], *body = NULL;
    uint32_t size;
    int64_t start;
    int fd, result = TEST_NO_ANSWER;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
        return TEST_NO_ANSWER;
    start = test_now_ms();
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
        write(fd, request, sizeof(request)) != (ssize_t)sizeof(request) ||
        test_read_full(fd, header, 4, start + TEST_IO_TIMEOUT_MS) == -1)
        goto done;
    size = (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 | (uint32_t)header[2] << 8 |
           header[3];
    if (size < 6 || size > 1 << 20 || !(body = malloc(size)) ||
        test_read_full(fd, body, size, start + TEST_IO_TIMEOUT_MS) == -1)
        goto done;
    *elapsed_ms = test_now_ms() - start;
    if (body[2] == 0x12 && body[3] == 0x34) /* our CorrelationId */
        result = (int16_t)(body[4] << 8 | body[5]);

done:
    free(body);
    close(fd);
    return result;
}

static void test_broker_answers(const kp_mock_cluster *m, int id, int want, const char *what) {
    char detail[64];
    int64_t elapsed = 0;
    int got = test_api_versions(test_broker_port(kp_mock_cluster_bootstraps(m), id), &elapsed);

    snprintf(detail, sizeof(detail), "ErrorCode %d", got);
    test_check(got == want, what, detail);
}

static void test_new_and_bootstraps(kp_mock_cluster *m) {
    const char *b = kp_mock_cluster_bootstraps(m);
    int commas = 0, id;

    for (const char *p = b; *p; p++)
        commas += *p == ',';
    test_check(kp_mock_cluster_broker_count(m) == 3, "broker count is 3", NULL);
    test_check(!strncmp(b, "127.0.0.1:", 10) && commas == 2, "bootstraps lists 3 brokers", b);
    for (id = 1; id <= 3; id++)
        test_check(test_broker_port(b, id) > 0, "each broker has a port", b);
    test_broker_answers(m, 1, 0, "broker 1 answers ApiVersions");
}

static void test_down_up(kp_mock_cluster *m) {
    test_command(m, "down 1", 0, NULL);
    test_broker_answers(m, 1, TEST_NO_ANSWER, "broker 1 does not answer after 'down 1'");
    test_broker_answers(m, 2, 0, "broker 2 still answers after 'down 1'");
    test_command(m, "up 1", 0, NULL);
    test_broker_answers(m, 1, 0, "broker 1 answers again after 'up 1'");
}

static void test_rtt(kp_mock_cluster *m) {
    char detail[64];
    int64_t elapsed = 0;
    int got;

    test_command(m, "rtt 2 100", 0, NULL);
    got = test_api_versions(test_broker_port(kp_mock_cluster_bootstraps(m), 2), &elapsed);
    snprintf(detail, sizeof(detail), "ErrorCode %d after %lld ms", got, (long long)elapsed);
    test_check(got == 0 && elapsed >= 100, "broker 2 answers after >= 100 ms with 'rtt 2 100'",
               detail);
    test_command(m, "rtt 2 0", 0, NULL);
}

static void test_errors(kp_mock_cluster *m) {
    test_command(m, "errors Produce NOT_LEADER_OR_FOLLOWER 2", 0, NULL);
    test_command(m, "clear Produce", 0, NULL);
    /* ApiVersions is the request this test can send: 31 is CLUSTER_AUTHORIZATION_FAILED. */
    test_command(m, "errors ApiVersions CLUSTER_AUTHORIZATION_FAILED 2", 0, NULL);
    test_broker_answers(m, 1, 31, "1st ApiVersions fails with the injected error");
    test_broker_answers(m, 2, 31, "2nd ApiVersions, on another broker, fails too");
    test_broker_answers(m, 3, 0, "3rd ApiVersions succeeds: the errors are used up");
    test_command(m, "broker-errors 3 ApiVersions 31 1", 0, NULL);
    test_broker_answers(m, 1, 0, "broker-errors 3 leave broker 1 alone");
    test_broker_answers(m, 3, 31, "broker-errors 3 fail broker 3's next ApiVersions");
    /* A list is answered in its order, COUNT times over (7: REQUEST_TIMED_OUT).
     * Broker 3 is left out: once a broker had broker-errors, the mock never
     * looks at the cluster-wide ones for it. */
    test_command(m, "errors ApiVersions 31,CLUSTER_AUTHORIZATION_FAILED,7 2", 0, NULL);
    test_broker_answers(m, 1, 31, "list: 1st ApiVersions fails with the list's 1st code");
    test_broker_answers(m, 2, 31, "list: 2nd ApiVersions with its 2nd");
    test_broker_answers(m, 1, 7, "list: 3rd ApiVersions with its 3rd");
    test_broker_answers(m, 2, 31, "list: 4th ApiVersions starts the list again");
    test_command(m, "clear ApiVersions", 0, NULL);
    test_broker_answers(m, 1, 0, "list: after clear ApiVersions succeeds");
}

static void test_topics(kp_mock_cluster *m) {
    char errstr[TEST_ERRSTR_SIZE] = "";
    kp_mock_cluster_topic_spec spec;
    int rc;

    test_command(m, "topic t1 6", 0, NULL);
    test_command(m, "leader t1 5 2", 0, NULL);
    test_command(m, "leader t1 6 2", -1, "topic 't1' has no partition 6");
    test_command(m, "topic t1 6", -1, "topic 't1' already exists");

    rc = kp_mock_cluster_create_topic(m, "t2", 3, 0, errstr, sizeof(errstr));
    test_check(rc == 0, "create_topic t2 with 3 partitions, default replication", errstr);
    test_command(m, "leader t2 2 1", 0, NULL);
    rc = kp_mock_cluster_create_topic(m, "t3", 1, 4, errstr, sizeof(errstr));
    test_check(rc == -1 && strstr(errstr, "replication factor 4 for topic 't3' exceeds the 3"),
               "create_topic refuses replication 4 on 3 brokers", errstr);
    rc = kp_mock_cluster_create_topic(m, "t3", 0, 0, errstr, sizeof(errstr));
    test_check(rc == -1 && strstr(errstr, "bad partition count 0 for topic 't3'"),
               "create_topic refuses 0 partitions", errstr);
    rc = kp_mock_cluster_create_topic(m, "no/slash", 1, 0, errstr, sizeof(errstr));
    test_check(rc == -1 && strstr(errstr, "bad topic name 'no/slash'"),
               "create_topic refuses a bad name", errstr);

    rc = kp_mock_cluster_parse_topic_spec("orders:12:2", "topic spec", &spec, errstr,
                                          sizeof(errstr));
    test_check(rc == 0 && !strcmp(spec.name, "orders") && spec.partitions == 12 &&
                   spec.replication == 2,
               "parse_topic_spec 'orders:12:2'", errstr);
    rc = kp_mock_cluster_parse_topic_spec("orders", "topic spec", &spec, errstr, sizeof(errstr));
    test_check(rc == -1 && !strcmp(errstr, "bad topic spec 'orders': expected "
                                           "NAME:PARTITIONS[:REPLICATION]"),
               "parse_topic_spec 'orders' names the spec", errstr);
    rc = kp_mock_cluster_parse_topic_spec("orders:0", "topic spec", &spec, errstr, sizeof(errstr));
    test_check(rc == -1 && strstr(errstr, "bad topic spec partition count '0'"),
               "parse_topic_spec 'orders:0' names the count", errstr);
}

static void test_bad_commands(kp_mock_cluster *m) {
    test_command(m, "frobnicate", -1, "unknown command 'frobnicate' (try help)");
    test_command(m, "down", -1, "wrong number of arguments for down: usage: down ID|all");
    test_command(m, "down 7", -1,
                 "unknown broker id '7': this cluster has brokers 1..3 (or 'all')");
    test_command(m, "rtt 2 soon", -1,
                 "bad round-trip time (ms) 'soon': expected an integer 0..3600000");
    test_command(m, "errors Fetchh 6 1", -1, "unknown API key 'Fetchh'");
    test_command(m, "errors Produce NOT_AN_ERROR 2", -1, "unknown error 'NOT_AN_ERROR'");
    test_command(m, "errors Produce 6,NOT_AN_ERROR 2", -1, "unknown error 'NOT_AN_ERROR'");
    test_command(m, "errors Produce ,, 2", -1, "no error code in ',,'");
    test_command(m, "errors Produce 6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6 1", -1,
                 "at most 16 error codes in one list");
    test_command(m, "errors Produce NOT_LEADER_OR_FOLLOWER 0", -1,
                 "bad error count '0': expected an integer 1..100000");
    test_command(m, "broker-errors 9 Produce 6 1", -1, "unknown broker id '9'");
    test_command(m, "topic t4 1 4", -1,
                 "replication factor 4 for topic 't4' exceeds the 3 broker(s)");
    test_command(m, "topic bad/name 1", -1, "bad topic name 'bad/name'");
    test_command(m, "apiversion Produce 5 3", -1, "bad version range 5..3");
    test_command(m, "a b c d e f g h", -1, "unknown command 'a'");
    test_command(m, "help me", -1, "wrong number of arguments for help: usage: help");
}

static void test_line_kinds(kp_mock_cluster *m) {
    test_command(m, "", KP_MOCK_LINE_BLANK, NULL);
    test_command(m, " \t\r", KP_MOCK_LINE_BLANK, NULL);
    test_command(m, "# down 1", KP_MOCK_LINE_BLANK, NULL);
    test_command(m, "help", KP_MOCK_LINE_HELP, NULL);
    test_command(m, "quit", KP_MOCK_LINE_QUIT, NULL);
    test_command(m, "\tup\t2\r", 0, NULL);
}

static void *test_command_thread(void *arg) {
    static const char *const lines[] = {"errors Metadata 6 1", "rtt all 0", "clear Metadata",
                                        "down 3", "up 3", "leader t1 0 1"};
    const int line_cnt = (int)(sizeof(lines) / sizeof(lines[0]));
    char errstr[TEST_ERRSTR_SIZE];
    intptr_t failures = 0;
    int i;

    for (i = 0; i < TEST_COMMANDS_PER_THREAD; i++)
        failures += kp_mock_cluster_command(arg, lines[i % line_cnt], errstr, sizeof(errstr)) != 0;
    return (void *)failures;
}

static void test_threads(kp_mock_cluster *m) {
    pthread_t threads[TEST_THREADS];
    intptr_t failures = 0;
    void *ret;
    int i, started = 0;

    for (i = 0; i < TEST_THREADS; i++)
        started += pthread_create(&threads[i], NULL, test_command_thread, m) == 0;
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], &ret);
        failures += (intptr_t)ret;
    }
    test_check(started == TEST_THREADS && failures == 0,
               "commands from 4 threads at once all succeed", NULL);
    test_command(m, "up all", 0, NULL);
    test_broker_answers(m, 3, 0, "broker 3 answers after the threads' last 'up 3'");
}

int main(void) {
    char errstr[TEST_ERRSTR_SIZE] = "";
    kp_mock_cluster *m;

    m = kp_mock_cluster_new(0, 0, errstr, sizeof(errstr));
    test_check(!m && !strcmp(errstr, "bad broker count 0: expected 1..100"),
               "a cluster of 0 brokers is refused", errstr);
    kp_mock_cluster_destroy(m);

    if (!(m = kp_mock_cluster_new(3, 0, errstr, sizeof(errstr)))) {
        test_check(0, "a 3-broker cluster starts", errstr);
        printf("%d passed, %d failed\n", test_passed, test_failed);
        return 1;
    }
    test_new_and_bootstraps(m);
    test_down_up(m);
    test_rtt(m);
    test_errors(m);
    test_topics(m);
    test_bad_commands(m);
    test_line_kinds(m);
    test_threads(m);
    kp_mock_cluster_destroy(m);
    kp_mock_cluster_destroy(NULL);

    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
