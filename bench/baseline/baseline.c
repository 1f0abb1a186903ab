/* baseline.c — the benchmark's baseline: the same records produced with
 * Debian's librdkafka (2.0.2), flat out or paced, configured only by -X. */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "bench_data.h"
#include "bench_hist.h"
#include "bench_result.h"

/* Every property comes from -X: scripts/bench holds the one table that maps
 * the shared settings (linger.ms, batch.size, acks, ...) to both clients and
 * adds the baseline's best-case extras, so this program has no defaults of
 * its own beyond librdkafka's. */
#define MAX_PROPS 64
#define POLL_EVERY 64 /* sends between rd_kafka_poll(0) calls: delivery reports run promptly */

typedef struct options {
    const char *brokers, *topic, *data;
    int file_source; /* 1: read the data file line by line like `kprod produce` */
    uint64_t count;  /* pool source: records to send (cycling the pool) */
    uint64_t passes; /* file source: times to read the file */
    double rate, seconds;
    double warmup_seconds; /* paced: seconds at the rate before the measured records */
    int warmup;
    const char *props[MAX_PROPS];
    int nprops;
} options;

/* Delivery outcomes, written by the delivery report callback (always on the
 * sending thread: it runs inside rd_kafka_poll and rd_kafka_flush). */
typedef struct outcome {
    uint64_t acked, failed, bytes;
    /* Paced runs: record i (its index travels as the message opaque) was due
     * at paced_start_us + i * interval_us; the first warm ones are not measured. */
    int64_t paced_start_us; /* > 0 while a paced run measures latency */
    double interval_us;
    uint64_t warm;
    bench_hist *latency;
    char first_error[256];
} outcome;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    outcome *o = opaque;
    if (m->err) {
        if (!o->failed++)
            snprintf(o->first_error, sizeof o->first_error, "%s [%" PRId32 "]: %s",
                     rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
        return;
    }
    uint64_t i = (uint64_t)(uintptr_t)m->_private;
    if (o->paced_start_us > 0 && i < o->warm) return;
    o->acked++;
    o->bytes += m->len + m->key_len;
    if (o->paced_start_us > 0) {
        int64_t intended = o->paced_start_us + (int64_t)((double)i * o->interval_us);
        bench_hist_add(o->latency, bench_now_us() - intended);
    }
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod-bench-baseline -b BROKERS -t TOPIC --data FILE [-X prop=value]...\n"
            "                            [--count N | --source file --passes K | --rate R --seconds S]\n\n"
            "Produces the KEY<TAB>VALUE records of FILE with librdkafka %s, then prints one\n"
            "'bench: ...' result line (see bench/common/bench_result.h).\n\n"
            "  --count N        flat out: send N records, cycling the pool (default: the pool once)\n"
            "  --source file    read FILE line by line each pass (what `kprod produce FILE` does);\n"
            "                   default: pool, the file held in memory and sent without copies\n"
            "  --passes K       with --source file: read FILE K times\n"
            "  --rate R         paced: R records/s for --seconds S, latency measured from each\n"
            "                   record's intended send time (coordinated omission corrected)\n"
            "  --warmup-seconds W  with --rate: W seconds more at the rate first, not measured\n"
            "  --warmup         first send one record to every partition and flush (implied by --rate)\n"
            "  -X prop=value    librdkafka property (repeatable)\n\n"
            "Exit status: 0 all delivered, 1 any record failed, 2 bad usage or setup.\n",
            rd_kafka_version_str());
}

static int parse_count(const char *flag, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || v <= 0) {
        fprintf(stderr, "kprod-bench-baseline: %s expects a positive number, got '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--warmup")) {
            o->warmup = 1;
            continue;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "kprod-bench-baseline: %s needs a value (see --help)\n", a);
            return -1;
        }
        const char *v = argv[++i];
        double n = 0;
        if (!strcmp(a, "-b")) {
            o->brokers = v;
        } else if (!strcmp(a, "-t")) {
            o->topic = v;
        } else if (!strcmp(a, "--data")) {
            o->data = v;
        } else if (!strcmp(a, "--source")) {
            if (strcmp(v, "pool") && strcmp(v, "file")) {
                fprintf(stderr, "kprod-bench-baseline: --source is pool or file, got '%s'\n", v);
                return -1;
            }
            o->file_source = !strcmp(v, "file");
        } else if (!strcmp(a, "--count") || !strcmp(a, "--passes")) {
            if (parse_count(a, v, &n)) return -1;
            *(a[2] == 'c' ? &o->count : &o->passes) = (uint64_t)n;
        } else if (!strcmp(a, "--warmup-seconds")) {
            if (parse_count(a, v, &o->warmup_seconds)) return -1;
        } else if (!strcmp(a, "--rate")) {
            if (parse_count(a, v, &o->rate)) return -1;
        } else if (!strcmp(a, "--seconds")) {
            if (parse_count(a, v, &o->seconds)) return -1;
        } else if (!strcmp(a, "-X")) {
            if (o->nprops == MAX_PROPS || !strchr(v, '=')) {
                fprintf(stderr, "kprod-bench-baseline: -X expects prop=value (at most %d), got '%s'\n",
                        MAX_PROPS, v);
                return -1;
            }
            o->props[o->nprops++] = v;
        } else {
            fprintf(stderr, "kprod-bench-baseline: unknown option '%s' (see --help)\n", a);
            return -1;
        }
    }
    if (!o->brokers || !o->topic || !o->data) {
        fprintf(stderr, "kprod-bench-baseline: -b, -t and --data are required (see --help)\n");
        return -1;
    }
    if ((o->rate > 0) != (o->seconds > 0) || (o->rate > 0 && o->file_source) ||
        (o->warmup_seconds > 0 && !(o->rate > 0))) {
        fprintf(stderr, "kprod-bench-baseline: --rate needs --seconds and the pool source; --warmup-seconds needs --rate\n");
        return -1;
    }
    if (o->rate > 0) o->warmup = 1;
    return 0;
}

/* Builds the producer from -X; returns NULL with the reason printed. */
static rd_kafka_t *producer_new(const options *o, outcome *out) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", o->brokers, err, sizeof err) ||
        rd_kafka_conf_set(conf, "client.id", "kprod-bench-baseline", err, sizeof err)) {
        fprintf(stderr, "kprod-bench-baseline: %s\n", err);
        goto err;
    }
    for (int i = 0; i < o->nprops; i++) {
        char name[128];
        const char *eq = strchr(o->props[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - o->props[i]), o->props[i]);
        if (rd_kafka_conf_set(conf, name, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "kprod-bench-baseline: -X %s: %s\n", o->props[i], err);
            goto err;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, out);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kprod-bench-baseline: %s\n", err);
        goto err;
    }
    return rk;
err:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Hands one record to librdkafka, serving delivery reports while its queue
 * is full (librdkafka's counterpart of kprod's blocking send). Returns 0, or
 * -1 with the reason printed. */
static int send_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition, int copy,
                    const bench_record *r, void *opaque) {
    while (rd_kafka_produce(rkt, partition, copy ? RD_KAFKA_MSG_F_COPY : 0, (void *)r->value,
                            (size_t)r->value_len, r->key, (size_t)r->key_len, opaque) == -1) {
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "kprod-bench-baseline: produce to %s: %s\n", rd_kafka_topic_name(rkt),
                    rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 100);
    }
    return 0;
}

/* One record to every partition, then a flush: connections, metadata and
 * the producer id are in place before anything is timed. */
static int warm_up(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const bench_pool *pool) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "kprod-bench-baseline: metadata for %s: %s\n", rd_kafka_topic_name(rkt),
                rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        if (md) rd_kafka_metadata_destroy(md);
        return -1;
    }
    int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    for (int32_t p = 0; p < partitions; p++)
        if (send_one(rk, rkt, p, 0, &pool->records[0], NULL)) return -1;
    if (rd_kafka_flush(rk, 30000)) {
        fprintf(stderr, "kprod-bench-baseline: warm-up records not delivered within 30 s\n");
        return -1;
    }
    return 0;
}

/* Flat out from the pool: count records as fast as librdkafka takes them. */
static int send_pool(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const bench_pool *pool, uint64_t count) {
    for (uint64_t i = 0; i < count; i++) {
        if (send_one(rk, rkt, RD_KAFKA_PARTITION_UA, 0, &pool->records[i % pool->count], NULL))
            return -1;
        if (i % POLL_EVERY == 0) rd_kafka_poll(rk, 0);
    }
    return 0;
}

/* Flat out from the file, read line by line passes times into one reused
 * buffer (so librdkafka copies each record, as kprod produce does). */
static int send_file(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *path, uint64_t passes,
                     uint64_t *sent) {
    char *line = NULL;
    size_t cap = 0;
    int rc = -1;
    for (uint64_t pass = 0; pass < passes; pass++) {
        FILE *in = fopen(path, "rb");
        if (!in) {
            fprintf(stderr, "kprod-bench-baseline: cannot open %s: %s\n", path, strerror(errno));
            goto out;
        }
        ssize_t n;
        while ((n = getline(&line, &cap, in)) >= 0) {
            if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
            char *tab = memchr(line, '\t', (size_t)n);
            bench_record r = {line, tab ? (int32_t)(tab - line) : 0, tab ? tab + 1 : line,
                              tab ? (int32_t)(n - (tab + 1 - line)) : (int32_t)n};
            if (!tab) r.key = NULL;
            if (send_one(rk, rkt, RD_KAFKA_PARTITION_UA, 1, &r, NULL)) {
                fclose(in);
                goto out;
            }
            if ((*sent)++ % POLL_EVERY == 0) rd_kafka_poll(rk, 0);
        }
        fclose(in);
    }
    rc = 0;
out:
    free(line);
    return rc;
}

/* Paced: record i is due at start + i/rate and its index travels as the
 * message opaque, so a send that runs late (a full queue, a slow poll) is
 * charged to the latency instead of silently lowering the rate. The first
 * `warm` records are the unmeasured warm-up; *achieved is the measured ones'
 * send rate. */
static int send_paced(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const bench_pool *pool, double rate,
                      uint64_t warm, uint64_t count, int64_t start_us, double *achieved) {
    double interval_us = 1e6 / rate;
    for (uint64_t i = 0; i < warm + count;) {
        int64_t due = (int64_t)((double)i * interval_us);
        int64_t now = bench_now_us() - start_us;
        if (now < due) {
            int64_t gap = due - now;
            if (gap >= 2000)
                rd_kafka_poll(rk, (int)(gap / 1000) - 1); /* returns early to serve reports */
            else {
                rd_kafka_poll(rk, 0);
                bench_sleep_us(gap);
            }
            continue;
        }
        if (send_one(rk, rkt, RD_KAFKA_PARTITION_UA, 0, &pool->records[i % pool->count],
                     (void *)(uintptr_t)i))
            return -1;
        if (++i % POLL_EVERY == 0) rd_kafka_poll(rk, 0);
    }
    double secs = (double)(bench_now_us() - start_us) / 1e6 - (double)warm / rate;
    *achieved = secs > 0 ? (double)count / secs : 0;
    return 0;
}

int main(int argc, char **argv) {
    options o = {0};
    outcome out = {0};
    bench_pool pool = {0};
    bench_hist *latency = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    char err[512];
    int rc = 2;
    if (parse_args(argc, argv, &o)) goto done;
    if (!o.file_source && bench_pool_load(&pool, o.data, err, sizeof err)) {
        fprintf(stderr, "kprod-bench-baseline: %s\n", err);
        goto done;
    }
    if (o.rate > 0 && !(latency = calloc(1, sizeof *latency))) goto done;
    if (!(rk = producer_new(&o, &out))) goto done;
    if (!(rkt = rd_kafka_topic_new(rk, o.topic, NULL))) {
        fprintf(stderr, "kprod-bench-baseline: topic %s: %s\n", o.topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        goto done;
    }
    if (o.warmup) {
        if (o.file_source) {
            fprintf(stderr, "kprod-bench-baseline: --warmup needs the pool source\n");
            goto done;
        }
        if (warm_up(rk, rkt, &pool)) goto done;
        memset(&out, 0, sizeof out);
    }

    bench_result res = {0};
    int64_t start = bench_now_us();
    int sent_ok;
    if (o.rate > 0) {
        res.records = (uint64_t)(o.rate * o.seconds + 0.5);
        res.rate = o.rate;
        res.latency = latency;
        out.latency = latency;
        out.paced_start_us = start;
        out.interval_us = 1e6 / o.rate;
        out.warm = (uint64_t)(o.rate * o.warmup_seconds + 0.5);
        sent_ok = !send_paced(rk, rkt, &pool, o.rate, out.warm, res.records, start, &res.achieved_rate);
        start += (int64_t)((double)out.warm * out.interval_us); /* seconds counts the measured part */
    } else if (o.file_source) {
        sent_ok = !send_file(rk, rkt, o.data, o.passes ? o.passes : 1, &res.records);
    } else {
        res.records = o.count ? o.count : pool.count;
        sent_ok = !send_pool(rk, rkt, &pool, res.records);
    }
    /* What was handed over is delivered even after a failed send. */
    if (rd_kafka_flush(rk, 120000))
        fprintf(stderr, "kprod-bench-baseline: %d records still queued after 120 s\n",
                rd_kafka_outq_len(rk));
    res.seconds = (double)(bench_now_us() - start) / 1e6;
    res.acked = out.acked;
    res.failed = out.failed;
    res.bytes = out.bytes;
    bench_result_print(stdout, &res);
    if (out.failed)
        fprintf(stderr, "kprod-bench-baseline: %" PRIu64 " records failed, the first: %s\n",
                out.failed, out.first_error);
    rc = sent_ok && !out.failed && out.acked == res.records ? 0 : 1;
done:
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (rk) rd_kafka_destroy(rk);
    bench_pool_free(&pool);
    free(latency);
    return rc;
}
