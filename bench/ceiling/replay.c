/* replay.c — ceiling (b): pre-encoded Produce requests replayed to a cluster
 * as fast as it answers them, i.e. what the test broker itself can absorb. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_clock.h"
#include "bench_data.h"
#include "bench_requests.h"
#include "bench_result.h"
#include "bench_wire.h"
#include "kp_err.h"
#include "kp_proto_apiversions.h"
#include "kp_proto_metadata.h"
#include "kp_proto_produce.h"

#define CLIENT_ID "kprod-bench-replay"
#define MAX_RESPONSE (64 << 20)
#define METADATA_TRIES 40

typedef struct options {
    const char *brokers, *topic, *data;
    kp_codec codec;
    int level;
    int32_t batch_size, max_request_size;
    int in_flight;
    int16_t acks;
    double seconds;
} options;

/* One connection per leader, pipelining up to in_flight requests. */
typedef struct conn {
    int fd;
    char name[300];
    const bench_request_list *list;
    int16_t produce_version;
    int in_flight;
    int64_t deadline_us;
    uint64_t records, acked, failed, bytes, wire_bytes;
    char error[512];
} conn;

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod-bench-replay -b BROKERS -t TOPIC --data FILE --seconds S\n"
            "                          [-z CODEC] [--level N] [--batch-size N] [--max-request-size N]\n"
            "                          [--in-flight N] [--acks N]\n\n"
            "Cuts FILE's KEY<TAB>VALUE records into full batches (kprod's batch builder and\n"
            "codecs, one per partition), encodes Produce requests per leader once, then replays\n"
            "them on one connection per leader for S seconds, up to --in-flight (5) requests\n"
            "outstanding each, and prints one 'bench: ...' line. Defaults: batch.size 16384,\n"
            "max.request.size 1048576, acks -1.\n");
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.codec = KP_CODEC_NONE, .level = KP_LEVEL_DEFAULT, .batch_size = 16384,
                   .max_request_size = 1048576, .in_flight = 5, .acks = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 == argc) {
            fprintf(stderr, "kprod-bench-replay: %s needs a value (see --help)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-b")) o->brokers = v;
        else if (!strcmp(a, "-t")) o->topic = v;
        else if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else if (!strcmp(a, "--level")) o->level = atoi(v);
        else if (!strcmp(a, "--batch-size")) o->batch_size = atoi(v);
        else if (!strcmp(a, "--max-request-size")) o->max_request_size = atoi(v);
        else if (!strcmp(a, "--in-flight")) o->in_flight = atoi(v);
        else if (!strcmp(a, "--acks")) o->acks = (int16_t)atoi(v);
        else if (!strcmp(a, "-z")) {
            if (kp_codec_from_name(v, &o->codec)) {
                fprintf(stderr, "kprod-bench-replay: -z: unknown codec '%s'\n", v);
                return -1;
            }
        } else {
            fprintf(stderr, "kprod-bench-replay: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (!o->brokers || !o->topic || !o->data || o->seconds <= 0 || o->batch_size <= 0 ||
        o->max_request_size <= 0 || o->in_flight <= 0 || o->acks == 0) {
        fprintf(stderr, "kprod-bench-replay: -b, -t, --data and --seconds are required, sizes and "
                        "--in-flight positive, acks 1 or -1 (see --help)\n");
        return -1;
    }
    return 0;
}

/* ApiVersions (v3, or what the broker asks for), then the Produce and
 * Metadata versions both sides speak. Returns 0, or -1 with errstr filled. */
static int negotiate(int fd, int32_t *corr, int16_t *produce_v, int16_t *metadata_v, kp_frame *f,
                     kp_buf *buf, char *errstr, size_t errlen) {
    const kp_api_versions_request req = {CLIENT_ID, KPROD_SOFTWARE_VERSION};
    kp_api_versions av = {0};
    kp_proto_err pe = {0};
    char why[256];
    int16_t version = KP_API_VERSIONS_MAX_VERSION;
    for (int attempt = 0;; attempt++) {
        const uint8_t *body;
        size_t len;
        if (kp_api_versions_request_encode(f, version, *corr, CLIENT_ID, &req, &pe))
            return kp_fail(errstr, errlen, "encoding ApiVersions: %s", kp_proto_err_format(&pe, why, sizeof why));
        if (bench_roundtrip(fd, f, KP_API_API_VERSIONS, version, (*corr)++, buf, &body, &len, errstr, errlen))
            return -1;
        if (kp_api_versions_response_decode(body, len, version, &av, &pe))
            return kp_fail(errstr, errlen, "decoding ApiVersions: %s", kp_proto_err_format(&pe, why, sizeof why));
        if (av.error_code != KP_ERR_UNSUPPORTED_VERSION || attempt > 0 || version == 0) break;
        int retry = kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, (int16_t)(version - 1));
        kp_api_versions_free(&av);
        version = (int16_t)(retry >= 0 ? retry : 0);
    }
    int p = kp_api_versions_pick(&av, KP_API_PRODUCE, KP_PRODUCE_MIN_VERSION, KP_PRODUCE_MAX_VERSION);
    int m = kp_api_versions_pick(&av, KP_API_METADATA, KP_METADATA_MIN_VERSION, KP_METADATA_MAX_VERSION);
    int16_t err = av.error_code;
    kp_api_versions_free(&av);
    if (err) return kp_fail(errstr, errlen, "ApiVersions v%d failed: %s", version, kp_err_name(err));
    if (p < 0 || m < 0) return kp_fail(errstr, errlen, "the broker speaks no Produce or Metadata version kprod does");
    *produce_v = (int16_t)p;
    *metadata_v = (int16_t)m;
    return 0;
}

/* Metadata for the topic, repeated until every partition has a leader.
 * Returns 0 with *md filled (caller frees), or -1 with errstr filled. */
static int fetch_metadata(int fd, int32_t *corr, int16_t version, const char *topic,
                          kp_metadata_response *md, const kp_metadata_topic **out, kp_frame *f,
                          kp_buf *buf, char *errstr, size_t errlen) {
    const char *topics[] = {topic};
    const kp_metadata_request req = {topics, 1, 1, 0, 0};
    kp_proto_err pe = {0};
    char why[256];
    for (int attempt = 1;; attempt++) {
        const uint8_t *body;
        size_t len;
        if (kp_metadata_request_encode(f, version, *corr, CLIENT_ID, &req, &pe))
            return kp_fail(errstr, errlen, "encoding Metadata: %s", kp_proto_err_format(&pe, why, sizeof why));
        if (bench_roundtrip(fd, f, KP_API_METADATA, version, (*corr)++, buf, &body, &len, errstr, errlen))
            return -1;
        kp_metadata_response_free(md);
        if (kp_metadata_response_decode(body, len, version, md, &pe))
            return kp_fail(errstr, errlen, "decoding Metadata: %s", kp_proto_err_format(&pe, why, sizeof why));
        const kp_metadata_topic *t = NULL;
        for (int32_t i = 0; i < md->topics_count; i++)
            if (md->topics[i].name && !strcmp(md->topics[i].name, topic)) t = &md->topics[i];
        int ready = t && !t->error_code && t->partitions_count > 0;
        for (int32_t i = 0; ready && i < t->partitions_count; i++) ready = t->partitions[i].leader_id >= 0;
        if (ready) {
            *out = t;
            return 0;
        }
        if (attempt == METADATA_TRIES)
            return kp_fail(errstr, errlen, "topic '%s' has no leader for every partition after %d tries (%s)",
                           topic, attempt, kp_err_name(t ? t->error_code : KP_ERR_UNKNOWN_TOPIC_OR_PARTITION));
        bench_sleep_us(250000);
    }
}

/* Counts a Produce response against the request it answers. */
static void account(conn *c, const bench_request *req, const kp_buf *frame) {
    kp_reader r;
    int32_t corr;
    kp_produce_response resp = {0};
    kp_proto_err pe = {0};
    char why[256];
    int16_t failure = 0;
    kp_reader_init(&r, frame->data, frame->len);
    if (kp_proto_response_header(&r, kp_proto_response_flexible(KP_API_PRODUCE, c->produce_version) == 1, &corr) ||
        kp_produce_response_decode(r.p, kp_rd_remaining(&r), c->produce_version, &resp, &pe)) {
        if (!c->error[0])
            snprintf(c->error, sizeof c->error, "%s: bad Produce response: %s", c->name,
                     r.err ? r.err : kp_proto_err_format(&pe, why, sizeof why));
        failure = -1;
    }
    for (int32_t t = 0; !failure && t < resp.responses_count; t++)
        for (int32_t p = 0; p < resp.responses[t].partition_responses_count; p++)
            if (resp.responses[t].partition_responses[p].error_code)
                failure = resp.responses[t].partition_responses[p].error_code;
    if (failure > 0 && !c->error[0])
        snprintf(c->error, sizeof c->error, "%s: Produce failed: %s", c->name, kp_err_name(failure));
    kp_produce_response_free(&resp);
    if (failure) {
        c->failed += req->records;
    } else {
        c->acked += req->records;
        c->bytes += req->payload_bytes;
    }
}

/* Sends the leader's requests round and round until the deadline, keeping
 * in_flight outstanding, then waits for the last answers. */
static void *replay(void *arg) {
    conn *c = arg;
    kp_buf frame;
    kp_buf_init(&frame, 4096);
    int outstanding = 0, next = 0, oldest = 0;
    int32_t corr = 1;
    char why[256];
    for (;;) {
        int sending = bench_now_us() < c->deadline_us && !c->error[0];
        if (sending && outstanding < c->in_flight) {
            bench_request *req = &c->list->requests[next];
            bench_request_set_correlation_id(req->bytes, corr++);
            if (bench_write_all(c->fd, req->bytes, req->len, why, sizeof why)) {
                snprintf(c->error, sizeof c->error, "%s: %s", c->name, why);
                break;
            }
            c->records += req->records;
            c->wire_bytes += req->len;
            outstanding++;
            next = (next + 1) % c->list->count;
            continue;
        }
        if (!outstanding) break;
        if (bench_read_frame(c->fd, &frame, MAX_RESPONSE, why, sizeof why)) {
            snprintf(c->error, sizeof c->error, "%s: %s", c->name, why);
            break;
        }
        account(c, &c->list->requests[oldest], &frame);
        oldest = (oldest + 1) % c->list->count;
        outstanding--;
    }
    kp_buf_free(&frame);
    return NULL;
}

int main(int argc, char **argv) {
    options o;
    bench_pool pool = {0};
    kp_metadata_response md = {0};
    const kp_metadata_topic *topic = NULL;
    kp_frame f;
    kp_buf buf;
    char host[256], err[512];
    int port, boot = -1, rc = 2, nconns = 0;
    int32_t corr = 1, *leaders = NULL, *node_ids = NULL;
    int16_t produce_v = 0, metadata_v = 0;
    bench_request_list *lists = NULL;
    conn *conns = NULL;
    pthread_t *threads = NULL;
    kp_frame_init(&f);
    kp_buf_init(&buf, 4096);
    if (parse_args(argc, argv, &o)) goto out;
    if (bench_pool_load(&pool, o.data, err, sizeof err)) goto fail;
    if (bench_first_broker(o.brokers, host, sizeof host, &port, err, sizeof err)) goto fail;
    if ((boot = bench_connect(host, port, err, sizeof err)) < 0) goto fail;
    if (negotiate(boot, &corr, &produce_v, &metadata_v, &f, &buf, err, sizeof err) ||
        fetch_metadata(boot, &corr, metadata_v, o.topic, &md, &topic, &f, &buf, err, sizeof err))
        goto fail;

    /* Leaders as indexes into the brokers that lead something. */
    int32_t parts = topic->partitions_count;
    leaders = calloc((size_t)parts, sizeof *leaders);
    node_ids = calloc((size_t)parts, sizeof *node_ids);
    if (!leaders || !node_ids) goto oom;
    for (int32_t i = 0; i < parts; i++) {
        const kp_metadata_partition *mp = &topic->partitions[i];
        int b = 0;
        while (b < nconns && node_ids[b] != mp->leader_id) b++;
        if (b == nconns) node_ids[nconns++] = mp->leader_id;
        if (mp->partition_index < 0 || mp->partition_index >= parts) {
            kp_fail(err, sizeof err, "Metadata lists partition %d of %d", (int)mp->partition_index, (int)parts);
            goto fail;
        }
        leaders[mp->partition_index] = b;
    }
    lists = calloc((size_t)nconns, sizeof *lists);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!lists || !conns) goto oom;
    for (int b = 0; b < nconns; b++) conns[b].fd = -1;
    const bench_requests_conf rc_conf = {o.topic, parts, leaders, nconns, o.codec, o.level, o.batch_size,
                                         o.max_request_size, produce_v, o.acks, 30000};
    if (bench_requests_build(&pool, &rc_conf, lists, err, sizeof err)) goto fail;

    for (int b = 0; b < nconns; b++) {
        const kp_proto_node *node = NULL;
        for (int32_t i = 0; i < md.brokers_count; i++)
            if (md.brokers[i].node_id == node_ids[b]) node = &md.brokers[i];
        if (!node) {
            kp_fail(err, sizeof err, "leader %d is not in the Metadata broker list", (int)node_ids[b]);
            goto fail;
        }
        conn *c = &conns[b];
        snprintf(c->name, sizeof c->name, "broker %d (%s:%d)", (int)node->node_id, node->host, (int)node->port);
        if ((c->fd = bench_connect(node->host, node->port, err, sizeof err)) < 0) goto fail;
        c->list = &lists[b];
        c->produce_version = produce_v;
        c->in_flight = o.in_flight;
    }

    if (!(threads = calloc((size_t)nconns, sizeof *threads))) goto oom;
    int64_t start = bench_now_us();
    for (int b = 0; b < nconns; b++) {
        conns[b].deadline_us = start + (int64_t)(o.seconds * 1e6);
        if (pthread_create(&threads[b], NULL, replay, &conns[b])) {
            fprintf(stderr, "kprod-bench-replay: cannot start a thread\n");
            for (int j = 0; j < b; j++) pthread_join(threads[j], NULL);
            goto out;
        }
    }
    bench_result res = {0};
    for (int b = 0; b < nconns; b++) {
        pthread_join(threads[b], NULL);
        res.records += conns[b].records;
        res.acked += conns[b].acked;
        res.failed += conns[b].failed;
        res.bytes += conns[b].bytes;
        res.wire_bytes += conns[b].wire_bytes;
    }
    res.seconds = (double)(bench_now_us() - start) / 1e6;
    bench_result_print(stdout, &res);
    rc = 0;
    for (int b = 0; b < nconns; b++)
        if (conns[b].error[0]) {
            fprintf(stderr, "kprod-bench-replay: %s\n", conns[b].error);
            rc = 1;
        }
    if (res.failed) rc = 1;
    goto out;
oom:
    kp_fail(err, sizeof err, "out of memory");
fail:
    fprintf(stderr, "kprod-bench-replay: %s\n", err);
out:
    for (int b = 0; conns && b < nconns; b++)
        if (conns[b].fd >= 0) close(conns[b].fd);
    if (boot >= 0) close(boot);
    if (lists) bench_requests_free(lists, nconns);
    free(lists);
    free(conns);
    free(threads);
    free(leaders);
    free(node_ids);
    kp_metadata_response_free(&md);
    kp_frame_free(&f);
    kp_buf_free(&buf);
    bench_pool_free(&pool);
    return rc;
}
