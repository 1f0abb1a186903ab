/* kp_roundtrip.c — test tool: produces seeded records through kprod's own wire code over blocking
 * sockets and writes the exact bytes kcat must print when it consumes them back. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kp_batch.h"
#include "kp_compress.h"
#include "kp_err.h"
#include "kp_proto.h"
#include "kp_proto_apiversions.h"
#include "kp_proto_metadata.h"
#include "kp_proto_produce.h"

/* The line kcat must be given to print a record the way rt_write_expected does:
 *   kcat -C -e -q -X check.crcs=true -f '%p %o %T %K %k %S %s %h\n'
 * Key and value go out raw but follow their sizes, so they delimit
 * themselves; header names and values never hold NUL (kcat prints them with
 * %s / %.*s), ',', '=' or '\n', and no header value is the text "NULL", so
 * the printed stream can be parsed back into exactly one list of records. */
#define RT_CLIENT_ID "kp-roundtrip"
#define RT_IO_TIMEOUT_S 10
#define RT_MAX_RESPONSE (64 * 1024 * 1024)
#define RT_METADATA_TRIES 40
#define RT_METADATA_RETRY_MS 250
#define RT_MAX_BATCH_RECORDS 8
#define RT_MAX_HEADERS 3
#define RT_BASE_TIMESTAMP 1700000000000LL
#define RT_ERRSTR 512

typedef struct rt_options {
    const char *brokers;
    const char *topic;
    kp_codec codec;
    int records;
    uint64_t seed;
    int produce_version; /* -1: highest both sides speak */
    int metadata_version;
    const char *expected_path;
} rt_options;

/* One record as produced; every pointer points into `bytes`, owned here. */
typedef struct rt_record {
    int32_t partition;
    int64_t offset; /* -1 until the broker acknowledges its batch */
    int64_t timestamp;
    const uint8_t *key; /* NULL for a null key */
    int32_t key_len;
    const uint8_t *value; /* NULL for a null value */
    int32_t value_len;
    kp_header headers[RT_MAX_HEADERS];
    int header_count;
    uint8_t *bytes;
} rt_record;

/* A blocking connection to one broker, with its own correlation ids. */
typedef struct rt_conn {
    int fd;
    int32_t node_id; /* -1 for the bootstrap connection */
    char name[300];  /* "host:port", for messages */
    int32_t correlation_id;
    kp_buf response;
} rt_conn;

/* What the run learned from the cluster. */
typedef struct rt_cluster {
    int16_t produce_version, metadata_version;
    int16_t produce_max, metadata_max; /* the broker's highest, from ApiVersions */
    int16_t api_versions_version;      /* the ApiVersions version the broker answered */
    kp_metadata_response metadata;
    const kp_metadata_topic *topic; /* in metadata */
    int32_t *leaders;               /* by partition index */
    int32_t partitions;
    rt_conn *conns; /* one per leader, opened on first use */
    int nconns;
} rt_cluster;

/* ---- seeded data ---- */

static uint64_t rt_rng_state;

/* splitmix64: the same seed gives the same records on every platform. */
static uint64_t rt_rand(void) {
    uint64_t z = (rt_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t rt_below(uint32_t n) { return (uint32_t)(rt_rand() % n); }

/* A header byte: anything but what would make kcat's %h output ambiguous. */
static uint8_t rt_header_byte(void) {
    for (;;) {
        uint8_t c = (uint8_t)rt_rand();
        if (c != 0 && c != ',' && c != '=' && c != '\n') return c;
    }
}

/* Fills out[0..len) with bytes of one kind: 0 every byte value in order, 1
 * random, 2 compressible text, 3 tab/newline/CR/0xff/NUL and kcat's own
 * format characters. */
static void rt_fill_value(uint8_t *out, int32_t len, int kind) {
    static const char tricky[] = "tab\there\nnewline\r\n\xff\xfe\x00nul \\x00 %s %h\n";
    for (int32_t i = 0; i < len; i++) {
        switch (kind) {
        case 0: out[i] = (uint8_t)i; break; /* every byte 0x00..0xff in order */
        case 1: out[i] = (uint8_t)rt_rand(); break;
        case 2: out[i] = (uint8_t)("compressible text, "[i % 19]); break;
        default: out[i] = (uint8_t)tricky[(size_t)i % (sizeof tricky - 1)]; break;
        }
    }
}

/* Makes record i: key, value, headers and timestamp from the seeded stream.
 * Returns 0, or -1 with errstr filled when out of memory. */
static int rt_record_make(rt_record *r, int i, int32_t partitions, char *errstr, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->partition = (int32_t)rt_below((uint32_t)partitions);
    r->offset = -1;
    /* Not monotonic: later records may go back in time, so a batch holds
     * negative timestamp deltas as well as positive ones. */
    r->timestamp = RT_BASE_TIMESTAMP + (int64_t)i * 7 + (int64_t)rt_below(2001) - 1000;

    int value_kind = i == 0 ? 0 : (int)rt_below(4);
    uint32_t pick = rt_below(12);
    r->value_len = i == 0      ? 256
                   : pick == 0 ? -1
                   : pick == 1 ? 0
                               : (int32_t)rt_below(pick == 2 ? 3000 : 200) + 1;
    pick = rt_below(10);
    r->key_len = pick < 2 ? -1 : pick == 2 ? 0 : pick < 6 ? (int32_t)rt_below(24) + 1 : 16;
    r->header_count = (int)rt_below(RT_MAX_HEADERS + 1);
    int32_t header_lens[RT_MAX_HEADERS][2];
    size_t total =
        (size_t)(r->key_len > 0 ? r->key_len : 0) + (size_t)(r->value_len > 0 ? r->value_len : 0);
    for (int h = 0; h < r->header_count; h++) {
        header_lens[h][0] = (int32_t)rt_below(12);
        pick = rt_below(6);
        header_lens[h][1] = pick == 0 ? -1 : pick == 1 ? 0 : (int32_t)rt_below(40) + 1;
        total +=
            (size_t)header_lens[h][0] + (size_t)(header_lens[h][1] > 0 ? header_lens[h][1] : 0);
    }
    uint8_t *p = r->bytes = malloc(total ? total : 1);
    if (!p) return kp_fail(errstr, errlen, "out of memory making record %d (%zu bytes)", i, total);

    if (r->key_len >= 0) {
        r->key = p;
        if (r->key_len == 16) {
            char printable[17];
            snprintf(printable, sizeof printable, "key-%012d", i);
            memcpy(p, printable, 16);
        } else {
            rt_fill_value(p, r->key_len, 1);
        }
        p += r->key_len;
    }
    if (r->value_len >= 0) {
        r->value = p;
        rt_fill_value(p, r->value_len, value_kind);
        p += r->value_len;
    }
    for (int h = 0; h < r->header_count; h++) {
        kp_header *hd = &r->headers[h];
        hd->key = (const char *)p;
        hd->key_len = header_lens[h][0];
        for (int32_t k = 0; k < hd->key_len; k++) *p++ = rt_header_byte();
        hd->value_len = header_lens[h][1];
        hd->value = hd->value_len >= 0 ? p : NULL;
        for (int32_t k = 0; k < hd->value_len; k++) *p++ = rt_header_byte();
        if (hd->value_len == 4 && memcmp(hd->value, "NULL", 4) == 0) p[-1] = 'x';
    }
    return 0;
}

/* ---- blocking broker connections ---- */

/* Connects to host:port with send/receive timeouts, so a silent broker
 * fails the run instead of hanging it. Returns 0, or -1 with errstr filled. */
static int rt_conn_open(rt_conn *c, const char *host, int32_t port, int32_t node_id, char *errstr,
                        size_t errlen) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->node_id = node_id;
    snprintf(c->name, sizeof c->name, "%s:%" PRId32, host, port);
    kp_buf_init(&c->response, 4096);

    char service[16];
    snprintf(service, sizeof service, "%" PRId32, port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai)
        return kp_fail(errstr, errlen, "broker %s: cannot resolve: %s", c->name, gai_strerror(gai));
    int err = 0;
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        struct timeval tv = {.tv_sec = RT_IO_TIMEOUT_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            c->fd = fd;
        else {
            err = errno;
            close(fd);
        }
    }
    freeaddrinfo(res);
    if (c->fd < 0)
        return kp_fail(errstr, errlen, "broker %s: cannot connect: %s", c->name, strerror(err));
    return 0;
}

static void rt_conn_close(rt_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    kp_buf_free(&c->response);
}

static int rt_read_full(rt_conn *c, uint8_t *p, size_t n, char *errstr, size_t errlen) {
    while (n > 0) {
        ssize_t got = recv(c->fd, p, n, 0);
        if (got > 0) {
            p += got;
            n -= (size_t)got;
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got == 0) return kp_fail(errstr, errlen, "broker %s closed the connection", c->name);
        return kp_fail(errstr, errlen, "broker %s: receive failed: %s", c->name,
                       errno == EAGAIN ? "no answer within 10 s" : strerror(errno));
    }
    return 0;
}

/* Writes the whole frame with writev, resuming after partial writes. */
static int rt_write_frame(rt_conn *c, const kp_frame *f, char *errstr, size_t errlen) {
    struct iovec iov[64];
    int n = kp_frame_iov(f, iov, (int)(sizeof iov / sizeof iov[0]));
    if (n < 0)
        return kp_fail(errstr, errlen, "request has more than %zu pieces",
                       sizeof iov / sizeof iov[0]);
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t put = writev(c->fd, v, n);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0)
            return kp_fail(errstr, errlen, "broker %s: send failed: %s", c->name, strerror(errno));
        while (n > 0 && (size_t)put >= v->iov_len) {
            put -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + put;
            v->iov_len -= (size_t)put;
        }
    }
    return 0;
}

/* Sends the request in f (encoded with correlation id c->correlation_id,
 * which this then advances) and reads its response. On success *body points
 * into c->response, valid until the next request on c. Returns 0, or -1 with
 * errstr naming the broker and what went wrong. */
static int rt_conn_request(rt_conn *c, const kp_frame *f, int16_t api_key, int16_t version,
                           const uint8_t **body, size_t *body_len, char *errstr, size_t errlen) {
    int32_t want = c->correlation_id++;
    if (rt_write_frame(c, f, errstr, errlen)) return -1;
    uint8_t size_be[4];
    if (rt_read_full(c, size_be, 4, errstr, errlen)) return -1;
    int32_t size = (int32_t)((uint32_t)size_be[0] << 24 | (uint32_t)size_be[1] << 16 |
                             (uint32_t)size_be[2] << 8 | size_be[3]);
    if (size < 4 || size > RT_MAX_RESPONSE)
        return kp_fail(errstr, errlen, "broker %s: %s v%d response has a bad size %" PRId32,
                       c->name, kp_proto_api_name(api_key), version, size);
    kp_buf_reset(&c->response);
    if (kp_buf_reserve(&c->response, (size_t)size))
        return kp_fail(errstr, errlen, "out of memory for a %" PRId32 "-byte response", size);
    if (rt_read_full(c, c->response.data, (size_t)size, errstr, errlen)) return -1;
    c->response.len = (size_t)size;

    kp_reader r;
    int32_t correlation_id = 0;
    kp_reader_init(&r, c->response.data, c->response.len);
    if (kp_proto_response_header(&r, kp_proto_response_flexible(api_key, version) == 1,
                                 &correlation_id))
        return kp_fail(errstr, errlen, "broker %s: %s v%d response header: %s", c->name,
                       kp_proto_api_name(api_key), version, r.err);
    if (correlation_id != want)
        return kp_fail(errstr, errlen,
                       "broker %s: %s v%d response has correlation id %" PRId32
                       ", expected %" PRId32,
                       c->name, kp_proto_api_name(api_key), version, correlation_id, want);
    *body = r.p;
    *body_len = kp_rd_remaining(&r);
    return 0;
}

/* Turns a failed encode/decode into an errstr naming the broker. */
static int rt_proto_fail(const rt_conn *c, const char *what, const kp_proto_err *e, char *errstr,
                         size_t errlen) {
    char buf[256];
    return kp_fail(errstr, errlen, "broker %s: %s: %s", c->name, what,
                   kp_proto_err_format(e, buf, sizeof buf));
}

/* ---- the protocol steps ---- */

/* ApiVersions v3, falling back to what the broker can read when it refuses,
 * then the versions to speak. Returns 0, or -1 with errstr filled. */
static int rt_negotiate(rt_conn *c, const rt_options *o, rt_cluster *cl, kp_frame *f, char *errstr,
                        size_t errlen) {
    const kp_api_versions_request req = {RT_CLIENT_ID, KPROD_SOFTWARE_VERSION};
    kp_api_versions av = {0};
    kp_proto_err pe = {0};
    int16_t version = KP_API_VERSIONS_MAX_VERSION;
    const uint8_t *body;
    size_t len;
    for (int attempt = 0;; attempt++) {
        if (kp_api_versions_request_encode(f, version, c->correlation_id, RT_CLIENT_ID, &req, &pe))
            return rt_proto_fail(c, "encoding ApiVersions", &pe, errstr, errlen);
        if (rt_conn_request(c, f, KP_API_API_VERSIONS, version, &body, &len, errstr, errlen))
            return -1;
        if (kp_api_versions_response_decode(body, len, version, &av, &pe))
            return rt_proto_fail(c, "decoding ApiVersions", &pe, errstr, errlen);
        if (av.error_code != KP_ERR_UNSUPPORTED_VERSION || attempt > 0 || version == 0) break;
        int retry = kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, (int16_t)(version - 1));
        printf("api_versions_refused %d %s\n", version,
               av.body_version < 0 ? "unreadable-body" : "readable-body");
        kp_api_versions_free(&av);
        version = (int16_t)(retry >= 0 ? retry : 0);
    }
    int rc = -1;
    if (av.error_code != 0) {
        kp_fail(errstr, errlen, "broker %s: ApiVersions v%d failed: %s", c->name, version,
                kp_err_name(av.error_code));
        goto out;
    }
    cl->api_versions_version = version;
    cl->produce_max = (int16_t)kp_api_versions_pick(&av, KP_API_PRODUCE, 0, INT16_MAX);
    cl->metadata_max = (int16_t)kp_api_versions_pick(&av, KP_API_METADATA, 0, INT16_MAX);
    static const struct {
        int16_t api_key, min, max;
    } ours[] = {{KP_API_PRODUCE, KP_PRODUCE_MIN_VERSION, KP_PRODUCE_MAX_VERSION},
                {KP_API_METADATA, KP_METADATA_MIN_VERSION, KP_METADATA_MAX_VERSION}};
    int forced[] = {o->produce_version, o->metadata_version};
    int16_t *chosen[] = {&cl->produce_version, &cl->metadata_version};
    for (int i = 0; i < 2; i++) {
        int16_t min = ours[i].min, max = ours[i].max;
        if (forced[i] >= 0) min = max = (int16_t)forced[i];
        int v = kp_api_versions_pick(&av, ours[i].api_key, min, max);
        if (v < 0) {
            kp_fail(errstr, errlen, "broker %s speaks no %s version in v%d..v%d (its highest: v%d)",
                    c->name, kp_proto_api_name(ours[i].api_key), min, max,
                    kp_api_versions_pick(&av, ours[i].api_key, 0, INT16_MAX));
            goto out;
        }
        *chosen[i] = (int16_t)v;
    }
    rc = 0;
out:
    kp_api_versions_free(&av);
    return rc;
}

/* Metadata for the topic, repeated until the broker has created it and every
 * partition has a leader. Returns 0, or -1 with errstr filled. */
static int rt_fetch_metadata(rt_conn *c, const rt_options *o, rt_cluster *cl, kp_frame *f,
                             char *errstr, size_t errlen) {
    const char *topics[] = {o->topic};
    const kp_metadata_request req = {topics, 1, 1, 0, 0};
    kp_proto_err pe = {0};
    for (int attempt = 1;; attempt++) {
        const uint8_t *body;
        size_t len;
        if (kp_metadata_request_encode(f, cl->metadata_version, c->correlation_id, RT_CLIENT_ID,
                                       &req, &pe))
            return rt_proto_fail(c, "encoding Metadata", &pe, errstr, errlen);
        if (rt_conn_request(c, f, KP_API_METADATA, cl->metadata_version, &body, &len, errstr,
                            errlen))
            return -1;
        kp_metadata_response_free(&cl->metadata);
        if (kp_metadata_response_decode(body, len, cl->metadata_version, &cl->metadata, &pe))
            return rt_proto_fail(c, "decoding Metadata", &pe, errstr, errlen);

        const kp_metadata_topic *t = NULL;
        for (int32_t i = 0; i < cl->metadata.topics_count; i++)
            if (cl->metadata.topics[i].name && strcmp(cl->metadata.topics[i].name, o->topic) == 0)
                t = &cl->metadata.topics[i];
        int16_t err = t ? t->error_code : KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        const char *why = kp_err_name(err);
        int ready = err == 0 && t->partitions_count > 0;
        for (int32_t i = 0; ready && i < t->partitions_count; i++)
            if (t->partitions[i].leader_id < 0) {
                ready = 0;
                why = "a partition has no leader";
            }
        if (ready) {
            cl->topic = t;
            break;
        }
        if (err != 0 && !kp_err_retriable(err))
            return kp_fail(errstr, errlen, "broker %s: Metadata v%d for topic '%s': %s", c->name,
                           cl->metadata_version, o->topic, kp_err_name(err));
        if (attempt == RT_METADATA_TRIES)
            return kp_fail(errstr, errlen,
                           "broker %s: topic '%s' not ready after %d Metadata requests: %s",
                           c->name, o->topic, attempt, why);
        nanosleep(&(struct timespec){0, RT_METADATA_RETRY_MS * 1000000L}, NULL);
    }

    const kp_metadata_topic *t = cl->topic;
    cl->partitions = t->partitions_count;
    cl->leaders = malloc(sizeof *cl->leaders * (size_t)cl->partitions);
    if (!cl->leaders)
        return kp_fail(errstr, errlen, "out of memory for %" PRId32 " partitions", cl->partitions);
    for (int32_t i = 0; i < cl->partitions; i++) cl->leaders[i] = -1;
    for (int32_t i = 0; i < cl->partitions; i++) {
        int32_t idx = t->partitions[i].partition_index;
        if (idx < 0 || idx >= cl->partitions || cl->leaders[idx] != -1)
            return kp_fail(errstr, errlen,
                           "broker %s: Metadata for '%s' lists partition %" PRId32
                           " out of 0..%" PRId32 " or twice",
                           c->name, o->topic, idx, cl->partitions - 1);
        cl->leaders[idx] = t->partitions[i].leader_id;
    }
    return 0;
}

/* The open connection to broker node_id, opened from the Metadata broker
 * list on first use. Returns NULL with errstr filled on failure. */
static rt_conn *rt_leader_conn(rt_cluster *cl, int32_t node_id, char *errstr, size_t errlen) {
    for (int i = 0; i < cl->nconns; i++)
        if (cl->conns[i].node_id == node_id) return &cl->conns[i];
    const kp_proto_node *node = NULL;
    for (int32_t i = 0; i < cl->metadata.brokers_count; i++)
        if (cl->metadata.brokers[i].node_id == node_id) node = &cl->metadata.brokers[i];
    if (!node) {
        kp_fail(errstr, errlen, "leader %" PRId32 " is not in the Metadata broker list", node_id);
        return NULL;
    }
    rt_conn *conns = realloc(cl->conns, sizeof *conns * (size_t)(cl->nconns + 1));
    if (!conns) {
        kp_fail(errstr, errlen, "out of memory for a connection");
        return NULL;
    }
    cl->conns = conns;
    rt_conn *c = &conns[cl->nconns];
    if (rt_conn_open(c, node->host, node->port, node_id, errstr, errlen)) {
        rt_conn_close(c);
        return NULL;
    }
    cl->nconns++;
    return c;
}

/* One partition's records cut into batches, in produce order. */
typedef struct rt_partition_plan {
    rt_record **records; /* borrowed */
    int count;
    int *batch_ends; /* exclusive end index of each batch */
    int batches;
    int64_t next_offset; /* -1 before the first acknowledgement */
    kp_batch_builder builder;
    kp_buf scratch;
} rt_partition_plan;

/* Checks one Produce response against the partitions it was sent for and
 * stamps offsets on the acknowledged records. Returns 0, or -1 with errstr. */
static int rt_check_produce(const rt_conn *c, const rt_options *o, const kp_produce_response *resp,
                            rt_partition_plan *plans, const kp_produce_partition_data *sent,
                            int nsent, int round, char *errstr, size_t errlen) {
    if (resp->responses_count != 1 || !resp->responses[0].name ||
        strcmp(resp->responses[0].name, o->topic) != 0)
        return kp_fail(errstr, errlen,
                       "broker %s: Produce response names %" PRId32 " topics, not just '%s'",
                       c->name, resp->responses_count, o->topic);
    const kp_produce_topic_response *tr = &resp->responses[0];
    if (tr->partition_responses_count != nsent)
        return kp_fail(errstr, errlen,
                       "broker %s: Produce response has %" PRId32 " partitions, %d were sent",
                       c->name, tr->partition_responses_count, nsent);
    for (int32_t i = 0; i < tr->partition_responses_count; i++) {
        const kp_produce_partition_response *pr = &tr->partition_responses[i];
        int known = 0;
        for (int s = 0; s < nsent; s++) known |= sent[s].index == pr->index;
        if (!known)
            return kp_fail(errstr, errlen,
                           "broker %s: Produce response for partition %" PRId32
                           ", which was not sent",
                           c->name, pr->index);
        rt_partition_plan *p = &plans[pr->index];
        if (pr->error_code != 0)
            return kp_fail(
                errstr, errlen, "broker %s: Produce to %s [%" PRId32 "] batch %d: %s%s%s", c->name,
                o->topic, pr->index, round, kp_err_name(pr->error_code),
                pr->error_message ? ": " : "", pr->error_message ? pr->error_message : "");
        if (pr->base_offset < 0 || (p->next_offset >= 0 && pr->base_offset != p->next_offset))
            return kp_fail(errstr, errlen,
                           "broker %s: Produce to %s [%" PRId32 "] batch %d: base_offset %" PRId64
                           ", expected %s%" PRId64,
                           c->name, o->topic, pr->index, round, pr->base_offset,
                           p->next_offset < 0 ? ">= " : "",
                           p->next_offset < 0 ? 0 : p->next_offset);
        int first = round ? p->batch_ends[round - 1] : 0;
        for (int k = first; k < p->batch_ends[round]; k++)
            p->records[k]->offset = pr->base_offset + (k - first);
        p->next_offset = pr->base_offset + (p->batch_ends[round] - first);
    }
    return 0;
}

/* Sends batch `round` of every partition that still has one, one Produce
 * request per leader. Returns the number of batches sent, or -1 with errstr. */
static int rt_produce_round(rt_cluster *cl, const rt_options *o, rt_partition_plan *plans,
                            kp_compressor *cz, kp_frame *f, int round, char *errstr,
                            size_t errlen) {
    int sent_total = 0, rc = -1;
    kp_produce_partition_data *parts = malloc(sizeof *parts * (size_t)cl->partitions);
    if (!parts) return kp_fail(errstr, errlen, "out of memory");
    for (int32_t leader_of = 0; leader_of < cl->partitions; leader_of++) {
        int32_t leader = cl->leaders[leader_of];
        int first_for_leader = 1; /* each leader once: at its lowest partition */
        for (int32_t q = 0; q < leader_of; q++) first_for_leader &= cl->leaders[q] != leader;
        if (!first_for_leader) continue;

        int nparts = 0;
        for (int32_t pi = leader_of; pi < cl->partitions; pi++) {
            rt_partition_plan *p = &plans[pi];
            if (cl->leaders[pi] != leader || round >= p->batches) continue;
            kp_batch_reset(&p->builder);
            for (int k = round ? p->batch_ends[round - 1] : 0; k < p->batch_ends[round]; k++) {
                const rt_record *r = p->records[k];
                if (kp_batch_append(&p->builder, r->timestamp, r->key, r->key_len, r->value,
                                    r->value_len, r->headers, r->header_count)) {
                    kp_fail(errstr, errlen, "out of memory appending to %s [%" PRId32 "]", o->topic,
                            pi);
                    goto out;
                }
            }
            char why[RT_ERRSTR];
            if (kp_batch_seal(&p->builder, o->codec, KP_LEVEL_DEFAULT, cz, NULL, &p->scratch, why,
                              sizeof why)) {
                kp_fail(errstr, errlen, "sealing %s batch for %s [%" PRId32 "]: %s",
                        kp_codec_name(o->codec), o->topic, pi, why);
                goto out;
            }
            parts[nparts++] =
                (kp_produce_partition_data){.index = pi, .records = p->builder.buf.data, .records_len = p->builder.buf.len};
        }
        if (nparts == 0) continue;

        rt_conn *c = rt_leader_conn(cl, leader, errstr, errlen);
        if (!c) goto out;
        kp_produce_topic_data topic = {o->topic, parts, nparts};
        kp_produce_request req = {NULL, -1, 10000, &topic, 1};
        kp_proto_err pe = {0};
        const uint8_t *body;
        size_t len;
        kp_produce_response resp;
        if (kp_produce_request_encode(f, cl->produce_version, c->correlation_id, RT_CLIENT_ID, &req,
                                      &pe)) {
            rt_proto_fail(c, "encoding Produce", &pe, errstr, errlen);
            goto out;
        }
        if (rt_conn_request(c, f, KP_API_PRODUCE, cl->produce_version, &body, &len, errstr, errlen))
            goto out;
        if (kp_produce_response_decode(body, len, cl->produce_version, &resp, &pe)) {
            rt_proto_fail(c, "decoding Produce", &pe, errstr, errlen);
            goto out;
        }
        int bad = rt_check_produce(c, o, &resp, plans, parts, nparts, round, errstr, errlen);
        kp_produce_response_free(&resp);
        if (bad) goto out;
        sent_total += nparts;
    }
    rc = sent_total;
out:
    free(parts);
    return rc;
}

/* Spreads the records over the partitions, cuts each partition's share into
 * batches of 1..RT_MAX_BATCH_RECORDS and produces them round by round.
 * Returns the number of batches, or -1 with errstr filled. */
static int rt_produce(rt_cluster *cl, const rt_options *o, rt_record *records, char *errstr,
                      size_t errlen) {
    int rc = -1, batches = 0, rounds = 0;
    kp_frame f;
    kp_frame_init(&f);
    kp_compressor *cz = kp_compressor_new();
    rt_partition_plan *plans = calloc((size_t)cl->partitions, sizeof *plans);
    if (!cz || !plans) {
        kp_fail(errstr, errlen, "out of memory");
        goto out;
    }
    for (int32_t pi = 0; pi < cl->partitions; pi++) {
        rt_partition_plan *p = &plans[pi];
        p->next_offset = -1;
        p->records = malloc(sizeof *p->records * (size_t)(o->records + 1));
        p->batch_ends = malloc(sizeof *p->batch_ends * (size_t)(o->records + 1));
        if (kp_batch_init(&p->builder, 4096) || !p->records || !p->batch_ends) {
            kp_fail(errstr, errlen, "out of memory");
            goto out;
        }
        kp_buf_init(&p->scratch, 4096);
    }
    for (int i = 0; i < o->records; i++) {
        rt_partition_plan *p = &plans[records[i].partition];
        p->records[p->count++] = &records[i];
    }
    for (int32_t pi = 0; pi < cl->partitions; pi++) {
        rt_partition_plan *p = &plans[pi];
        for (int end = 0; end < p->count;) {
            end += (int)rt_below(RT_MAX_BATCH_RECORDS) + 1;
            p->batch_ends[p->batches++] = end < p->count ? end : p->count;
        }
        if (p->batches > rounds) rounds = p->batches;
    }
    for (int round = 0; round < rounds; round++) {
        int n = rt_produce_round(cl, o, plans, cz, &f, round, errstr, errlen);
        if (n < 0) goto out;
        batches += n;
    }
    rc = batches;
out:
    for (int32_t pi = 0; plans && pi < cl->partitions; pi++) {
        free(plans[pi].records);
        free(plans[pi].batch_ends);
        kp_batch_free(&plans[pi].builder);
        kp_buf_free(&plans[pi].scratch);
    }
    free(plans);
    kp_compressor_free(cz);
    kp_frame_free(&f);
    return rc;
}

/* ---- the expected kcat output ---- */

static int rt_record_order(const void *a, const void *b) {
    const rt_record *x = *(rt_record *const *)a, *y = *(rt_record *const *)b;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Writes every record to `out` (which this closes) as `%p %o %T %K %k %S %s
 * %h\n` prints it, ordered by partition then offset. Returns 0, or -1 with
 * errstr filled. */
static int rt_write_expected(const rt_options *o, rt_record *records, FILE *out, char *errstr,
                             size_t errlen) {
    rt_record **sorted = malloc(sizeof *sorted * (size_t)(o->records + 1));
    if (!sorted) {
        fclose(out);
        return kp_fail(errstr, errlen, "out of memory");
    }
    for (int i = 0; i < o->records; i++) sorted[i] = &records[i];
    qsort(sorted, (size_t)o->records, sizeof *sorted, rt_record_order);
    for (int i = 0; i < o->records; i++) {
        const rt_record *r = sorted[i];
        fprintf(out, "%" PRId32 " %" PRId64 " %" PRId64 " %" PRId32 " ", r->partition, r->offset,
                r->timestamp, r->key_len);
        if (r->key_len > 0) fwrite(r->key, 1, (size_t)r->key_len, out);
        fprintf(out, " %" PRId32 " ", r->value_len);
        if (r->value_len > 0) fwrite(r->value, 1, (size_t)r->value_len, out);
        fputc(' ', out);
        for (int h = 0; h < r->header_count; h++) {
            const kp_header *hd = &r->headers[h];
            fprintf(out, "%s%.*s=", h ? "," : "", (int)hd->key_len, hd->key);
            if (!hd->value)
                fputs("NULL", out);
            else
                fwrite(hd->value, 1, (size_t)hd->value_len, out);
        }
        fputc('\n', out);
    }
    free(sorted);
    if (ferror(out) | fclose(out))
        return kp_fail(errstr, errlen, "writing %s: %s", o->expected_path, strerror(errno));
    return 0;
}

/* ---- command line ---- */

static void rt_usage(FILE *to) {
    fprintf(
        to,
        "usage: kp_roundtrip -b HOST:PORT[,..] -t TOPIC -c CODEC -n RECORDS [-s SEED]\n"
        "                    [--produce-version N] [--metadata-version N] -o EXPECTED_FILE\n"
        "Produces RECORDS seeded records to TOPIC (CODEC: none gzip snappy lz4 zstd) with\n"
        "acks=-1 and writes to EXPECTED_FILE what\n"
        "  kcat -C -t TOPIC -p P -o beginning -e -q -X check.crcs=true \\\n"
        "       -f '%%p %%o %%T %%K %%k %%S %%s %%h\\n'\n"
        "prints for each partition P in turn. Stdout: `key value` lines (versions, partitions).\n"
        "Exit status: 0 done, 1 protocol or broker failure, 2 bad usage.\n");
}

static int rt_parse_int(const char *flag, const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "kp_roundtrip: %s '%s': want an integer in %ld..%ld\n", flag, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int rt_parse_args(int argc, char **argv, rt_options *o) {
    static const struct option longopts[] = {
        {"produce-version", required_argument, NULL, 'P'},
        {"metadata-version", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (rt_options){.codec = KP_CODEC_NONE,
                      .records = -1,
                      .seed = 1,
                      .produce_version = -1,
                      .metadata_version = -1};
    int have_codec = 0, opt;
    long v;
    while ((opt = getopt_long(argc, argv, "b:t:c:n:s:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b': o->brokers = optarg; break;
        case 't': o->topic = optarg; break;
        case 'o': o->expected_path = optarg; break;
        case 'c':
            if (kp_codec_from_name(optarg, &o->codec)) {
                fprintf(stderr, "kp_roundtrip: -c '%s': want none, gzip, snappy, lz4 or zstd\n",
                        optarg);
                return -1;
            }
            have_codec = 1;
            break;
        case 'n':
            if (rt_parse_int("-n", optarg, 1, 1000000, &v)) return -1;
            o->records = (int)v;
            break;
        case 's':
            if (rt_parse_int("-s", optarg, 0, INT32_MAX, &v)) return -1;
            o->seed = (uint64_t)v;
            break;
        case 'P':
            if (rt_parse_int("--produce-version", optarg, KP_PRODUCE_MIN_VERSION,
                             KP_PRODUCE_MAX_VERSION, &v))
                return -1;
            o->produce_version = (int)v;
            break;
        case 'M':
            if (rt_parse_int("--metadata-version", optarg, KP_METADATA_MIN_VERSION,
                             KP_METADATA_MAX_VERSION, &v))
                return -1;
            o->metadata_version = (int)v;
            break;
        case 'h': rt_usage(stdout); exit(0);
        default: return -1;
        }
    }
    const char *missing = !o->brokers         ? "-b"
                          : !o->topic         ? "-t"
                          : !have_codec       ? "-c"
                          : o->records < 0    ? "-n"
                          : !o->expected_path ? "-o"
                                              : NULL;
    if (missing || optind < argc) {
        if (missing)
            fprintf(stderr, "kp_roundtrip: %s is required\n", missing);
        else
            fprintf(stderr, "kp_roundtrip: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Splits the first entry of a bootstrap list into host and port. */
static int rt_first_broker(const char *list, char *host, size_t hostlen, int32_t *port,
                           char *errstr, size_t errlen) {
    size_t n = strcspn(list, ",");
    const char *colon = memrchr(list, ':', n);
    long p = 0;
    char *end = NULL;
    if (colon) p = strtol(colon + 1, &end, 10);
    if (!colon || colon == list || (size_t)(colon - list) >= hostlen || end != list + n || p < 1 ||
        p > 65535)
        return kp_fail(errstr, errlen, "-b '%s': the first broker is not HOST:PORT", list);
    memcpy(host, list, (size_t)(colon - list));
    host[colon - list] = '\0';
    *port = (int32_t)p;
    return 0;
}

int main(int argc, char **argv) {
    rt_options o;
    if (rt_parse_args(argc, argv, &o)) {
        fprintf(stderr, "kp_roundtrip: see kp_roundtrip --help\n");
        return 2;
    }
    char errstr[RT_ERRSTR] = "";
    char host[256];
    int32_t port = 0;
    int rc = 1, made = 0;
    rt_cluster cl = {0};
    rt_conn boot = {.fd = -1};
    FILE *expected = NULL;
    rt_record *records = calloc((size_t)o.records, sizeof *records);
    kp_frame f;
    kp_frame_init(&f);
    rt_rng_state = o.seed;

    if (!records) {
        kp_fail(errstr, sizeof errstr, "out of memory for %d records", o.records);
        goto out;
    }
    if (rt_first_broker(o.brokers, host, sizeof host, &port, errstr, sizeof errstr)) goto out;
    /* Opened first, so a bad path fails before anything is produced. */
    expected = fopen(o.expected_path, "wb");
    if (!expected) {
        kp_fail(errstr, sizeof errstr, "cannot write %s: %s", o.expected_path, strerror(errno));
        goto out;
    }
    if (rt_conn_open(&boot, host, port, -1, errstr, sizeof errstr)) goto out;
    if (rt_negotiate(&boot, &o, &cl, &f, errstr, sizeof errstr)) goto out;
    printf("api_versions_version %d\nproduce_max %d\nmetadata_max %d\nproduce_version %d\n"
           "metadata_version %d\n",
           cl.api_versions_version, cl.produce_max, cl.metadata_max, cl.produce_version,
           cl.metadata_version);
    if (rt_fetch_metadata(&boot, &o, &cl, &f, errstr, sizeof errstr)) goto out;
    printf("partitions %" PRId32 "\n", cl.partitions);
    for (; made < o.records; made++)
        if (rt_record_make(&records[made], made, cl.partitions, errstr, sizeof errstr)) goto out;
    int batches = rt_produce(&cl, &o, records, errstr, sizeof errstr);
    if (batches < 0) goto out;
    FILE *out = expected;
    expected = NULL;
    if (rt_write_expected(&o, records, out, errstr, sizeof errstr)) goto out;
    printf("records %d\nbatches %d\ncodec %s\n", o.records, batches, kp_codec_name(o.codec));
    rc = 0;
out:
    if (rc) fprintf(stderr, "kp_roundtrip: %s\n", errstr);
    if (expected) fclose(expected);
    for (int i = 0; i < made; i++) free(records[i].bytes);
    free(records);
    for (int i = 0; i < cl.nconns; i++) rt_conn_close(&cl.conns[i]);
    free(cl.conns);
    free(cl.leaders);
    kp_metadata_response_free(&cl.metadata);
    rt_conn_close(&boot);
    kp_frame_free(&f);
    return rc;
}
