/* cli_produce.c — `kprod produce`: kcat-style producing of lines from files or stdin. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_record_line.h"
#include "kp_err.h"
#include "kp_producer.h"
#include "kp_time.h"

#define MAX_HEADERS 64
#define MAX_REPORTED_FAILURES 20
/* opaque = file index << LINE_BITS | line number */
#define LINE_BITS 40

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod produce [-b BROKERS] -t TOPIC [-p PARTITION] [-K DELIM] [-H key=value]...\n"
            "                     [-X prop=value]... [-z CODEC] [--partitions N] [FILE...]\n\n"
            "Produces one record per line of each FILE (stdin when none or '-').\n\n"
            "  -b BROKERS     bootstrap.servers; without it an embedded mock cluster is started\n"
            "  -t TOPIC       topic to produce to (required)\n"
            "  -p PARTITION   fixed partition (default: murmur2 of the key, sticky without key)\n"
            "  -K DELIM       split each line at the first DELIM into key and value\n"
            "  -H key=value   add a header to every record (repeatable)\n"
            "  -X prop=value  producer property, Kafka's Java names (repeatable)\n"
            "  -z CODEC       compression.type: none, gzip, snappy, lz4, zstd\n"
            "  --partitions N with the embedded cluster: create TOPIC with N partitions\n"
            "  -q             no progress line\n\n"
            "Delivery failures are reported on stderr as FILE:LINE; a summary follows.\n"
            "Exit status: 0 all delivered, 1 any record failed, 2 bad usage or setup.\n");
}

typedef struct produce_state {
    const char **files;
    int nfiles;
    uint64_t acked, failed, bytes;
    int reported;
    int err_codes[16];
    uint64_t err_counts[16];
} produce_state;

static produce_state st;
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted++;
}

/* Ends a send blocked for metadata or buffer.memory once a signal came. */
static int was_interrupted(void) { return interrupted > 0; }

static void on_delivery(const kp_delivery_report *r, void *opaque) {
    (void)opaque;
    if (!r->err) {
        st.acked++;
        return;
    }
    st.failed++;
    uintptr_t o = (uintptr_t)r->opaque;
    int file = (int)(o >> LINE_BITS);
    uint64_t line = o & (((uint64_t)1 << LINE_BITS) - 1);
    if (st.reported++ < MAX_REPORTED_FAILURES)
        fprintf(stderr, "kprod produce: %s:%llu: delivery failed: %s\n",
                file < st.nfiles ? st.files[file] : "-", (unsigned long long)line,
                r->errstr ? r->errstr : kp_err_name(r->err));
    for (int i = 0; i < 16; i++) {
        if (st.err_counts[i] && st.err_codes[i] != r->err) continue;
        st.err_codes[i] = r->err;
        st.err_counts[i]++;
        break;
    }
}

static int parse_header(const char *arg, kp_header *h) {
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    h->key = arg;
    h->key_len = (int32_t)(eq - arg);
    h->value = eq + 1;
    h->value_len = (int32_t)strlen(eq + 1);
    return 0;
}

static void progress(kp_producer *p, int64_t start_us, int final) {
    kp_metrics m;
    kp_producer_metrics(p, &m);
    double secs = (double)(kp_now_us() - start_us) / 1e6;
    if (secs <= 0) secs = 1e-6;
    fprintf(stderr, "%s%.1fs: %llu records sent, %llu acked, %llu failed, %.0f rec/s, %.2f MB/s%s",
            final ? "" : "\r", secs, (unsigned long long)m.records_sent,
            (unsigned long long)st.acked, (unsigned long long)st.failed,
            (double)m.records_sent / secs, (double)st.bytes / secs / 1e6, final ? "\n" : "   ");
}

int kp_cli_produce(int argc, char **argv) {
    const char *brokers = NULL, *topic = NULL, *delim = NULL;
    int32_t partition = KP_PARTITION_ANY;
    int partitions = 0, quiet = 0, rc = 2;
    kp_header headers[MAX_HEADERS];
    int nheaders = 0;
    char err[512];
    kp_conf *conf = kp_conf_new();
    kp_cli_cluster *cluster = NULL;
    kp_producer *p = NULL;
    char *line = NULL;
    size_t cap = 0;
    const char *files_default[] = {"-"};
    if (!conf) return 2;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "-q")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] && strchr("btpKHXz", a[1]) && !a[2]) {
            if (!v) {
                fprintf(stderr, "kprod produce: option %s needs a value (see --help)\n", a);
                goto out;
            }
            i++;
            switch (a[1]) {
            case 'b': brokers = v; break;
            case 't': topic = v; break;
            case 'K':
                if (!*v) {
                    fprintf(stderr, "kprod produce: -K needs a non-empty delimiter\n");
                    goto out;
                }
                delim = v;
                break;
            case 'p':
                if (kp_cli_parse_int(v, 0, INT32_MAX, &partition)) {
                    fprintf(stderr, "kprod produce: -p expects a partition number, got '%s'\n", v);
                    goto out;
                }
                break;
            case 'H':
                if (nheaders == MAX_HEADERS || parse_header(v, &headers[nheaders])) {
                    fprintf(stderr, "kprod produce: -H expects key=value (at most %d), got '%s'\n",
                            MAX_HEADERS, v);
                    goto out;
                }
                nheaders++;
                break;
            case 'X':
                if (kp_conf_set_line(conf, v, err, sizeof err)) {
                    fprintf(stderr, "kprod produce: -X %s: %s\n", v, err);
                    goto out;
                }
                break;
            case 'z':
                if (kp_conf_set(conf, "compression.type", v, err, sizeof err)) {
                    fprintf(stderr, "kprod produce: -z %s: %s\n", v, err);
                    goto out;
                }
                break;
            }
        } else if (!strcmp(a, "--partitions")) {
            int32_t n;
            if (!v || kp_cli_parse_int(v, 1, 100000, &n)) {
                fprintf(stderr, "kprod produce: --partitions expects a count from 1 to 100000\n");
                goto out;
            }
            partitions = n;
            i++;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "kprod produce: unknown option '%s' (see --help)\n", a);
            goto out;
        } else {
            break;
        }
    }
    if (!topic) {
        fprintf(stderr, "kprod produce: -t TOPIC is required (see --help)\n");
        goto out;
    }
    st.files = i < argc ? (const char **)&argv[i] : files_default;
    st.nfiles = i < argc ? argc - i : 1;
    for (int f = 0; f < st.nfiles; f++) {
        if (strcmp(st.files[f], "-") && access(st.files[f], R_OK)) {
            fprintf(stderr, "kprod produce: cannot read '%s': %s\n", st.files[f], strerror(errno));
            goto out;
        }
    }
    if (!brokers) {
        cluster = kp_cli_cluster_start(topic, partitions, err, sizeof err);
        if (!cluster) {
            fprintf(stderr, "kprod produce: %s\n", err);
            goto out;
        }
        brokers = kp_cli_cluster_bootstraps(cluster);
        fprintf(stderr, "kprod produce: embedded mock cluster at %s\n", brokers);
    }
    if (!kp_conf_is_set(conf, "bootstrap.servers") &&
        kp_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err)) {
        fprintf(stderr, "kprod produce: -b %s: %s\n", brokers, err);
        goto out;
    }
    p = kp_producer_new(conf, err, sizeof err);
    if (p) kp_producer_set_interrupt_check(p, was_interrupted);
    conf = NULL;
    if (!p) {
        fprintf(stderr, "kprod produce: %s\n", err);
        goto out;
    }

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signal(SIGPIPE, SIG_IGN);
    int show = !quiet && isatty(2);
    int64_t start = kp_now_us(), last = start;
    uint64_t sent = 0, rejected = 0;
    for (int f = 0; f < st.nfiles && !interrupted; f++) {
        FILE *in = strcmp(st.files[f], "-") ? fopen(st.files[f], "rb") : stdin;
        if (!in) {
            fprintf(stderr, "kprod produce: cannot open '%s': %s\n", st.files[f], strerror(errno));
            rejected++;
            continue;
        }
        ssize_t n;
        uint64_t lineno = 0;
        while (!interrupted && (n = getline(&line, &cap, in)) >= 0) {
            lineno++;
            if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
            kp_cli_record_line rec;
            if (kp_cli_split_record_line(line, (size_t)n, delim, &rec)) {
                fprintf(stderr, "kprod produce: %s:%llu: not sent: line of %zd bytes is longer "
                        "than a record can be\n", st.files[f], (unsigned long long)lineno, n);
                rejected++;
                continue;
            }
            const char *key = rec.key, *value = rec.value;
            int32_t klen = rec.key_len, vlen = rec.value_len;
            void *opaque = (void *)(uintptr_t)(((uint64_t)f << LINE_BITS) | lineno);
            int e = kp_producer_send(p, topic, partition, key, klen, value, vlen, headers, nheaders,
                                     0, on_delivery, opaque, err, sizeof err);
            if (e) {
                fprintf(stderr, "kprod produce: %s:%llu: not sent: %s\n", st.files[f],
                        (unsigned long long)lineno, err);
                rejected++;
                if (e == KP_ERR__DESTROY || e == KP_ERR__FATAL || e == KP_ERR__UNKNOWN_TOPIC ||
                    e == KP_ERR__ALL_BROKERS_DOWN || (e > 0 && e != KP_ERR_MESSAGE_TOO_LARGE))
                    break; /* every later record would fail the same way */
                continue;
            }
            sent++;
            st.bytes += (uint64_t)vlen + (uint64_t)klen;
            if ((sent & 1023) == 0) {
                kp_producer_poll(p, 0);
                int64_t now = kp_now_us();
                if (show && now - last >= 1000000) {
                    progress(p, start, 0);
                    last = now;
                }
            }
        }
        if (in != stdin) fclose(in);
    }
    if (interrupted) fprintf(stderr, "\nkprod produce: interrupted: delivering what was read\n");
    /* First interrupt: graceful (bounded); a second one forces the close. */
    while (kp_producer_flush(p, 200) == KP_ERR__TIMED_OUT) {
        if (interrupted > 1) break;
        if (show) progress(p, start, 0);
    }
    kp_metrics m;
    kp_producer_metrics(p, &m);
    kp_producer_close(p, interrupted > 1 ? 0 : 30000);
    p = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    double secs = (double)(kp_now_us() - start) / 1e6;
    fprintf(stderr,
            "kprod produce: %llu records (%llu bytes) to '%s' in %.2f s: %llu acked, %llu failed, "
            "%llu not sent (%.0f records/s)\n",
            (unsigned long long)sent, (unsigned long long)st.bytes, topic, secs,
            (unsigned long long)st.acked, (unsigned long long)st.failed,
            (unsigned long long)rejected, secs > 0 ? (double)st.acked / secs : 0.0);
    fprintf(stderr,
            "kprod produce: %llu batches in %llu requests, %llu batches retried, %llu split, "
            "%llu expired, %llu epoch bumps, %llu gap retries, %llu backlog waits, at most %lld of "
            "a partition in flight\n",
            (unsigned long long)m.batches_sent, (unsigned long long)m.requests,
            (unsigned long long)m.batches_retried, (unsigned long long)m.batches_split,
            (unsigned long long)m.batches_expired, (unsigned long long)m.epoch_bumps,
            (unsigned long long)m.gap_retries, (unsigned long long)m.backlog_waits,
            (long long)m.partition_in_flight_max);
    for (int k = 0; k < 16 && st.err_counts[k]; k++)
        fprintf(stderr, "kprod produce:   %llu failed with %s\n",
                (unsigned long long)st.err_counts[k], kp_err_name(st.err_codes[k]));
    rc = (st.failed || rejected || st.acked != sent) ? 1 : 0;
out:
    free(line);
    if (p) kp_producer_close(p, 0);
    kp_conf_free(conf);
    kp_cli_cluster_stop(cluster);
    return rc;
}
