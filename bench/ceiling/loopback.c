/* loopback.c — ceiling (a): the same Produce request bytes pushed by a plain
 * socket writer over loopback TCP to a reader that only reads them. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_clock.h"
#include "bench_data.h"
#include "bench_requests.h"
#include "bench_result.h"
#include "bench_wire.h"
#include "kp_err.h"

#define READ_CHUNK (1 << 20)

typedef struct options {
    const char *data;
    int32_t partitions;
    int connections;
    kp_codec codec;
    int level;
    int32_t batch_size, max_request_size;
    int16_t produce_version;
    double seconds;
} options;

/* One loopback connection: its writer and its reader. */
typedef struct lane {
    int wfd, rfd;
    const bench_request_list *list;
    int64_t deadline_us;
    uint64_t records, payload, wire_bytes, read_bytes;
    char error[300];
} lane;

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod-bench-loopback --data FILE --seconds S [--partitions N] [--connections N]\n"
            "                            [-z CODEC] [--level N] [--batch-size N] [--max-request-size N]\n"
            "                            [--produce-version V]\n\n"
            "Builds the Produce requests kprod-bench-replay would send (partition p led by\n"
            "connection p %% N; defaults: 6 partitions, 1 connection, batch.size 16384,\n"
            "max.request.size 1048576, Produce v7) and writes them round and round for S\n"
            "seconds over N loopback TCP connections (a writer and a reader thread each;\n"
            "the readers discard what they read), then\n"
            "prints one 'bench: ...' line.\n");
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.partitions = 6, .connections = 1, .codec = KP_CODEC_NONE, .level = KP_LEVEL_DEFAULT,
                   .batch_size = 16384, .max_request_size = 1048576, .produce_version = 7};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 == argc) {
            fprintf(stderr, "kprod-bench-loopback: %s needs a value (see --help)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else if (!strcmp(a, "--partitions")) o->partitions = atoi(v);
        else if (!strcmp(a, "--connections")) o->connections = atoi(v);
        else if (!strcmp(a, "--level")) o->level = atoi(v);
        else if (!strcmp(a, "--batch-size")) o->batch_size = atoi(v);
        else if (!strcmp(a, "--max-request-size")) o->max_request_size = atoi(v);
        else if (!strcmp(a, "--produce-version")) o->produce_version = (int16_t)atoi(v);
        else if (!strcmp(a, "-z")) {
            if (kp_codec_from_name(v, &o->codec)) {
                fprintf(stderr, "kprod-bench-loopback: -z: unknown codec '%s'\n", v);
                return -1;
            }
        } else {
            fprintf(stderr, "kprod-bench-loopback: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (!o->data || o->seconds <= 0 || o->partitions <= 0 || o->connections <= 0 ||
        o->connections > o->partitions || o->batch_size <= 0 || o->max_request_size <= 0) {
        fprintf(stderr, "kprod-bench-loopback: --data and --seconds are required; counts and sizes "
                        "positive, connections <= partitions (see --help)\n");
        return -1;
    }
    return 0;
}

static void *write_requests(void *arg) {
    lane *l = arg;
    char why[256];
    for (int next = 0; bench_now_us() < l->deadline_us; next = (next + 1) % l->list->count) {
        const bench_request *req = &l->list->requests[next];
        if (bench_write_all(l->wfd, req->bytes, req->len, why, sizeof why)) {
            snprintf(l->error, sizeof l->error, "writer: %s", why);
            break;
        }
        l->records += req->records;
        l->payload += req->payload_bytes;
        l->wire_bytes += req->len;
    }
    shutdown(l->wfd, SHUT_WR);
    return NULL;
}

static void *read_requests(void *arg) {
    lane *l = arg;
    uint8_t *chunk = malloc(READ_CHUNK);
    if (!chunk) {
        snprintf(l->error, sizeof l->error, "reader: out of memory");
        return NULL;
    }
    for (;;) {
        ssize_t got = recv(l->rfd, chunk, READ_CHUNK, 0);
        if (got > 0) {
            l->read_bytes += (uint64_t)got;
        } else if (got == 0) {
            break;
        } else if (errno != EINTR) {
            snprintf(l->error, sizeof l->error, "reader: %s", strerror(errno));
            break;
        }
    }
    free(chunk);
    return NULL;
}

/* A listening socket on 127.0.0.1 with an ephemeral port. */
static int listen_loopback(int *port, char *errstr, size_t errlen) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&sa, &len)) {
        kp_fail(errstr, errlen, "cannot listen on 127.0.0.1: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int main(int argc, char **argv) {
    options o;
    bench_pool pool = {0};
    bench_request_list *lists = NULL;
    lane *lanes = NULL;
    pthread_t *threads = NULL;
    int32_t *leaders = NULL;
    char err[512];
    int rc = 2, lfd = -1, port = 0, started = 0;
    if (parse_args(argc, argv, &o)) goto out;
    if (bench_pool_load(&pool, o.data, err, sizeof err)) goto fail;
    leaders = calloc((size_t)o.partitions, sizeof *leaders);
    lists = calloc((size_t)o.connections, sizeof *lists);
    lanes = calloc((size_t)o.connections, sizeof *lanes);
    threads = calloc((size_t)o.connections * 2, sizeof *threads);
    if (!leaders || !lists || !lanes || !threads) {
        kp_fail(err, sizeof err, "out of memory");
        goto fail;
    }
    for (int i = 0; i < o.connections; i++) {
        lanes[i].wfd = lanes[i].rfd = -1;
        lanes[i].list = &lists[i];
    }
    for (int32_t p = 0; p < o.partitions; p++) leaders[p] = p % o.connections;
    const bench_requests_conf conf = {"bench", o.partitions, leaders, o.connections, o.codec, o.level,
                                      o.batch_size, o.max_request_size, o.produce_version, -1, 30000};
    if (bench_requests_build(&pool, &conf, lists, err, sizeof err)) goto fail;

    if ((lfd = listen_loopback(&port, err, sizeof err)) < 0) goto fail;
    for (int i = 0; i < o.connections; i++) {
        if ((lanes[i].wfd = bench_connect("127.0.0.1", port, err, sizeof err)) < 0) goto fail;
        if ((lanes[i].rfd = accept(lfd, NULL, NULL)) < 0) {
            kp_fail(err, sizeof err, "accept: %s", strerror(errno));
            goto fail;
        }
    }

    int64_t start = bench_now_us();
    for (int i = 0; i < o.connections; i++) {
        lanes[i].deadline_us = start + (int64_t)(o.seconds * 1e6);
        if (pthread_create(&threads[started], NULL, read_requests, &lanes[i])) break;
        started++;
        if (pthread_create(&threads[started], NULL, write_requests, &lanes[i])) {
            shutdown(lanes[i].wfd, SHUT_WR); /* lets its reader finish */
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    if (started < o.connections * 2) {
        kp_fail(err, sizeof err, "cannot start the threads");
        goto fail;
    }
    bench_result res = {0};
    rc = 0;
    for (int i = 0; i < o.connections; i++) {
        res.records += lanes[i].records;
        res.bytes += lanes[i].payload;
        res.wire_bytes += lanes[i].wire_bytes;
        if (lanes[i].error[0] || lanes[i].read_bytes != lanes[i].wire_bytes) {
            fprintf(stderr, "kprod-bench-loopback: connection %d: %s (read %llu of %llu bytes)\n", i,
                    lanes[i].error[0] ? lanes[i].error : "short read",
                    (unsigned long long)lanes[i].read_bytes, (unsigned long long)lanes[i].wire_bytes);
            rc = 1;
        }
    }
    res.acked = res.records;
    res.seconds = (double)(bench_now_us() - start) / 1e6;
    bench_result_print(stdout, &res);
    goto out;
fail:
    fprintf(stderr, "kprod-bench-loopback: %s\n", err);
out:
    for (int i = 0; lanes && i < o.connections; i++) {
        if (lanes[i].wfd >= 0) close(lanes[i].wfd);
        if (lanes[i].rfd >= 0) close(lanes[i].rfd);
    }
    if (lfd >= 0) close(lfd);
    if (lists) bench_requests_free(lists, o.connections);
    free(lists);
    free(lanes);
    free(threads);
    free(leaders);
    bench_pool_free(&pool);
    return rc;
}
