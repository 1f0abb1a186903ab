/* kp_conf.c — producer property table, text parsing, Java-style cross-checks and the Markdown dump. */
#include "kp_conf.h"

#include "kp_err.h"

#include "kp_partitioner.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum kp_conf_type {
    KP_CONF_INT,    /* int32_t field */
    KP_CONF_LONG,   /* int64_t field */
    KP_CONF_BOOL,   /* int field, true/false */
    KP_CONF_STRING, /* char * field, owned */
    KP_CONF_ENUM,   /* int field, one of `choices` */
    KP_CONF_LIST,   /* char * field holding a validated host:port list */
} kp_conf_type;

typedef struct kp_conf_choice {
    const char *name;
    int value;
} kp_conf_choice;

#define KP_CONF_MINUS_ONE_DEFAULT 0x1u /* -1 (the codec's default) is accepted besides min..max */
#define KP_CONF_UNSUPPORTED 0x2u       /* the property exists but any value is refused */

typedef struct kp_conf_prop {
    const char *name;
    kp_conf_type type;
    const char *def; /* default as text, NULL = unset */
    int64_t min, max;
    size_t offset;
    const char *doc;
    const kp_conf_choice *choices; /* KP_CONF_ENUM: NULL-terminated, first name wins for printing */
    unsigned flags;
} kp_conf_prop;

static const kp_conf_choice acks_choices[] = {{"all", -1}, {"-1", -1}, {"0", 0}, {"1", 1}, {NULL, 0}};

static const kp_conf_choice compression_choices[] = {
    {"none", KP_CONF_COMPRESSION_NONE}, {"gzip", KP_CONF_COMPRESSION_GZIP},
    {"snappy", KP_CONF_COMPRESSION_SNAPPY}, {"lz4", KP_CONF_COMPRESSION_LZ4},
    {"zstd", KP_CONF_COMPRESSION_ZSTD}, {NULL, 0}};

static const kp_conf_choice partitioner_choices[] = {
    {"default", KP_PARTITIONER_DEFAULT}, {"murmur2", KP_PARTITIONER_MURMUR2},
    {"murmur2_random", KP_PARTITIONER_MURMUR2_RANDOM}, {"consistent", KP_PARTITIONER_CONSISTENT},
    {"consistent_random", KP_PARTITIONER_CONSISTENT_RANDOM}, {"fnv1a", KP_PARTITIONER_FNV1A},
    {"fnv1a_random", KP_PARTITIONER_FNV1A_RANDOM}, {"random", KP_PARTITIONER_RANDOM},
    {"round_robin", KP_PARTITIONER_ROUND_ROBIN}, {NULL, 0}};

#define F(field) offsetof(kp_conf, field)
#define I32MAX INT32_MAX
#define I64MAX INT64_MAX

/* Names, defaults and ranges are the Java producer's (Kafka 4.x) unless the doc says otherwise. */
static const kp_conf_prop kp_conf_props[] = {
    {"bootstrap.servers", KP_CONF_LIST, NULL, 0, 0, F(bootstrap_servers),
     "Comma-separated host:port pairs ([ipv6]:port for IPv6) used to discover the cluster.", NULL, 0},
    {"client.id", KP_CONF_STRING, "kprod", 0, 0, F(client_id),
     "Name sent to brokers with every request, for their logs and quotas.", NULL, 0},
    {"acks", KP_CONF_ENUM, "all", 0, 0, F(acks),
     "Acknowledgements the leader must collect before a send succeeds: 0 none, 1 the leader, "
     "all (= -1) every in-sync replica. Idempotence requires all.",
     acks_choices, 0},
    {"enable.idempotence", KP_CONF_BOOL, "true", 0, 0, F(enable_idempotence),
     "Write each record exactly once per partition despite retries. Needs acks=all, retries > 0 "
     "and max.in.flight.requests.per.connection <= 5; when not set explicitly it is turned off "
     "if those conflict.", NULL, 0},
    {"retries", KP_CONF_INT, "2147483647", 0, I32MAX, F(retries),
     "How many times a failed batch is retried on a retriable error; delivery.timeout.ms is the "
     "usual limit.", NULL, 0},
    {"linger.ms", KP_CONF_LONG, "5", 0, I64MAX, F(linger_ms),
     "How long a partition's batch waits for more records before it is sent (unless batch.size "
     "fills first).", NULL, 0},
    {"batch.size", KP_CONF_INT, "16384", 0, I32MAX, F(batch_size),
     "Upper bound in bytes of one partition's batch; 0 disables batching.", NULL, 0},
    {"buffer.memory", KP_CONF_LONG, "33554432", 0, I64MAX, F(buffer_memory),
     "Bytes the producer may hold in unsent records; send blocks up to max.block.ms when full.", NULL, 0},
    {"max.block.ms", KP_CONF_LONG, "60000", 0, I64MAX, F(max_block_ms),
     "Longest a send may block waiting for metadata or buffer space.", NULL, 0},
    {"max.request.size", KP_CONF_INT, "1048576", 0, I32MAX, F(max_request_size),
     "Largest produce request in bytes; also caps a single record.", NULL, 0},
    {"request.timeout.ms", KP_CONF_INT, "30000", 0, I32MAX, F(request_timeout_ms),
     "How long to wait for a broker's response before retrying or failing the request.", NULL, 0},
    {"delivery.timeout.ms", KP_CONF_INT, "120000", 0, I32MAX, F(delivery_timeout_ms),
     "Upper bound from send to success or failure, retries included. Must be >= linger.ms + "
     "request.timeout.ms; when not set explicitly it is raised to that sum.", NULL, 0},
    {"max.in.flight.requests.per.connection", KP_CONF_INT, "5", 1, I32MAX,
     F(max_in_flight_requests_per_connection),
     "Unacknowledged requests allowed on one connection; at most 5 with idempotence.", NULL, 0},
    {"retry.backoff.ms", KP_CONF_LONG, "100", 0, I64MAX, F(retry_backoff_ms),
     "First wait before retrying a failed request; doubles (with jitter) up to retry.backoff.max.ms.", NULL, 0},
    {"retry.backoff.max.ms", KP_CONF_LONG, "1000", 0, I64MAX, F(retry_backoff_max_ms),
     "Ceiling of the exponential retry backoff.", NULL, 0},
    {"reconnect.backoff.ms", KP_CONF_LONG, "50", 0, I64MAX, F(reconnect_backoff_ms),
     "First wait before reconnecting to a broker; grows up to reconnect.backoff.max.ms.", NULL, 0},
    {"reconnect.backoff.max.ms", KP_CONF_LONG, "1000", 0, I64MAX, F(reconnect_backoff_max_ms),
     "Ceiling of the reconnect backoff; follows reconnect.backoff.ms when only that one is set.", NULL, 0},
    {"socket.connection.setup.timeout.ms", KP_CONF_LONG, "10000", 0, I64MAX,
     F(socket_connection_setup_timeout_ms),
     "How long a connection attempt may take; grows per failure up to the .max.ms value.", NULL, 0},
    {"socket.connection.setup.timeout.max.ms", KP_CONF_LONG, "30000", 0, I64MAX,
     F(socket_connection_setup_timeout_max_ms), "Ceiling of the connection setup timeout.", NULL, 0},
    {"connections.max.idle.ms", KP_CONF_LONG, "540000", -1, I64MAX, F(connections_max_idle_ms),
     "Close connections idle for this long; -1 never closes them.", NULL, 0},
    {"metadata.max.age.ms", KP_CONF_LONG, "300000", 0, I64MAX, F(metadata_max_age_ms),
     "Refresh cluster metadata at least this often, even without leader changes.", NULL, 0},
    {"metadata.max.idle.ms", KP_CONF_LONG, "300000", 5000, I64MAX, F(metadata_max_idle_ms),
     "Forget the metadata of a topic not produced to for this long.", NULL, 0},
    {"send.buffer.bytes", KP_CONF_INT, "131072", -1, I32MAX, F(send_buffer_bytes),
     "Socket send buffer (SO_SNDBUF); -1 keeps the OS default.", NULL, 0},
    {"receive.buffer.bytes", KP_CONF_INT, "32768", -1, I32MAX, F(receive_buffer_bytes),
     "Socket receive buffer (SO_RCVBUF); -1 keeps the OS default.", NULL, 0},
    {"compression.type", KP_CONF_ENUM, "none", 0, 0, F(compression_type),
     "Codec applied to whole batches.", compression_choices, 0},
    {"compression.gzip.level", KP_CONF_INT, "-1", 1, 9, F(compression_gzip_level),
     "Level used when compression.type=gzip; -1 is zlib's default (6).", NULL,
     KP_CONF_MINUS_ONE_DEFAULT},
    {"compression.lz4.level", KP_CONF_INT, "9", 1, 17, F(compression_lz4_level),
     "Level used when compression.type=lz4.", NULL, 0},
    {"compression.zstd.level", KP_CONF_INT, "3", -131072, 22, F(compression_zstd_level),
     "Level used when compression.type=zstd.", NULL, 0},
    {"compression.level", KP_CONF_INT, "-1", -1, 22, F(compression_level),
     "librdkafka's codec-independent level (kprod accepts it for kcat users): applied to the "
     "chosen codec and checked against its range; -1 leaves the codec's level alone.", NULL, 0},
    {"partitioner.ignore.keys", KP_CONF_BOOL, "false", 0, 0, F(partitioner_ignore_keys),
     "Place keyed records like keyless ones (sticky) instead of hashing the key.", NULL, 0},
    {"allow.auto.create.topics", KP_CONF_BOOL, "true", 0, 0, F(allow_auto_create_topics),
     "Ask brokers to create a missing topic on metadata requests (the broker's "
     "auto.create.topics.enable must allow it too).", NULL, 0},
    {"transactional.id", KP_CONF_STRING, NULL, 0, 0, F(transactional_id),
     "Transactions are not supported yet; setting this is an error.", NULL, KP_CONF_UNSUPPORTED},
    {"kprod.partitioner", KP_CONF_ENUM, "default", 0, 0, F(kprod_partitioner),
     "kprod: key hash used when a record names no partition. default = Java's (murmur2; sticky "
     "for null keys); the others are librdkafka's partitioners of the same name.",
     partitioner_choices, 0},
    {"kprod.strict.ordering", KP_CONF_BOOL, "false", 0, 0, F(kprod_strict_ordering),
     "kprod: at most one batch per partition in flight, so a partition's order survives retries "
     "even on brokers that do not check idempotent sequence numbers (librdkafka's mock cluster for "
     "non-transactional producers). Off, idempotence keeps order as in Java: up to "
     "max.in.flight.requests.per.connection batches per partition, the broker rejecting gaps.",
     NULL, 0},
    {"kprod.compression.threads", KP_CONF_INT, "-1", 0, 64, F(kprod_compression_threads),
     "kprod: threads that compress full batches beside the sender thread, so a codec is not "
     "held to one core; -1 is one per online CPU but one (1 to 8), 0 leaves compression to the "
     "sender thread. None are started for compression.type=none.",
     NULL, KP_CONF_MINUS_ONE_DEFAULT},
    {"kprod.partition.backlog.batches", KP_CONF_INT, "-1", 0, 1000000,
     F(kprod_partition_backlog_batches),
     "kprod: full batches a partition may hold waiting to be sent before a send to it waits, "
     "until the sender has taken the backlog down to half that (waking the send at every batch "
     "taken cost a third of the throughput at 10 KiB values); -1 is "
     "max.in.flight.requests.per.connection + 1, enough to refill "
     "every request in flight. Queueing more only adds memory and latency. The wait is never an "
     "error: past max.block.ms, or when the partition stopped draining (its oldest batch waited "
     "100 ms: broker down, retries), buffer.memory alone bounds the queue, as in Java. 0: off.",
     NULL, KP_CONF_MINUS_ONE_DEFAULT},
};

#define KP_CONF_NPROPS (sizeof kp_conf_props / sizeof kp_conf_props[0])
_Static_assert(KP_CONF_NPROPS <= 8 * sizeof(((kp_conf *)0)->user_set),
               "kp_conf.user_set needs a bit per property");

/* ---- errstr helpers ---- */


/* Appends to buf, putting `sep` between entries; silently truncates. */
static void append(char *buf, size_t cap, const char *sep, const char *fmt, ...) {
    if (!buf || !cap) return;
    size_t used = strlen(buf);
    if (used) used += (size_t)snprintf(buf + used, cap - used, "%s", sep);
    if (used + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

/* ---- table lookups ---- */

static const kp_conf_prop *find_prop(const char *name, size_t *index) {
    for (size_t i = 0; i < KP_CONF_NPROPS; i++)
        if (strcmp(kp_conf_props[i].name, name) == 0) {
            if (index) *index = i;
            return &kp_conf_props[i];
        }
    return NULL;
}

static void *field_of(const kp_conf *conf, const kp_conf_prop *p) {
    return (char *)conf + p->offset;
}

static int is_text(const kp_conf_prop *p) { return p->type == KP_CONF_STRING || p->type == KP_CONF_LIST; }

static int user_set(const kp_conf *conf, size_t i) { return (int)((conf->user_set[i / 64] >> (i % 64)) & 1u); }

/* Case-insensitive Levenshtein distance, giving up (returning limit + 1) on long inputs. */
static size_t edit_distance(const char *a, const char *b, size_t limit) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > limit) return limit + 1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof cur[0]);
    }
    return prev[lb];
}

static int unknown_property(const char *name, char *errstr, size_t errlen) {
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < KP_CONF_NPROPS; i++) {
        size_t d = edit_distance(name, kp_conf_props[i].name, 2);
        if (d < best_d) {
            best_d = d;
            best = kp_conf_props[i].name;
        }
    }
    if (best) return kp_fail(errstr, errlen, "unknown property '%s'; did you mean '%s'?", name, best);
    return kp_fail(errstr, errlen, "unknown property '%s'", name);
}

/* ---- bootstrap.servers ---- */

static int host_char(char c, int bracketed) {
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' ||
           (bracketed && (c == ':' || c == '%'));
}

static int parse_port(const char *s, const char *end, int *port) {
    long v = 0;
    if (s == end) return -1;
    for (; s < end; s++) {
        if (!isdigit((unsigned char)*s)) return -1;
        v = v * 10 + (*s - '0');
        if (v > 65535) return -1;
    }
    if (v < 1) return -1;
    *port = (int)v;
    return 0;
}

/* Parses one trimmed entry [entry, end) into host and port. */
static int parse_broker(const char *entry, const char *end, char *host, size_t hostlen, int *port,
                        char *errstr, size_t errlen) {
    int n = (int)(end - entry);
    const char *s = entry, *host_start, *host_end, *colon;
    const char *scheme_end = strstr(entry, "://");
    if (scheme_end && scheme_end < end) { /* Java and librdkafka accept a listener prefix */
        if (scheme_end - entry != 9 || strncasecmp(entry, "PLAINTEXT", 9) != 0)
            return kp_fail(errstr, errlen,
                        "property 'bootstrap.servers' entry '%.*s': only plaintext connections are supported", n,
                        entry);
        s = scheme_end + 3;
    }
    int bracketed = s < end && *s == '[';
    if (bracketed) {
        host_start = s + 1;
        host_end = memchr(host_start, ']', (size_t)(end - host_start));
        if (!host_end || host_end + 1 >= end || host_end[1] != ':')
            return kp_fail(errstr, errlen, "property 'bootstrap.servers' has a bad entry '%.*s' (expected [ipv6]:port)",
                        n, entry);
        colon = host_end + 1;
    } else {
        host_start = s;
        colon = NULL;
        for (const char *p = s; p < end; p++)
            if (*p == ':') colon = p;
        if (!colon)
            return kp_fail(errstr, errlen,
                        "property 'bootstrap.servers' has an entry '%.*s' without a port (expected host:port)", n,
                        entry);
        host_end = colon;
        if (memchr(s, ':', (size_t)(colon - s)))
            return kp_fail(errstr, errlen,
                        "property 'bootstrap.servers' entry '%.*s': put IPv6 addresses in brackets, "
                        "e.g. [::1]:9092",
                        n, entry);
    }
    if (host_end == host_start)
        return kp_fail(errstr, errlen, "property 'bootstrap.servers' entry '%.*s' has no host", n, entry);
    for (const char *p = host_start; p < host_end; p++)
        if (!host_char(*p, bracketed))
            return kp_fail(errstr, errlen, "property 'bootstrap.servers' entry '%.*s' has a bad host character '%c'",
                        n, entry, *p);
    if (parse_port(colon + 1, end, port))
        return kp_fail(errstr, errlen, "property 'bootstrap.servers' entry '%.*s' needs a port between 1 and 65535",
                    n, entry);
    size_t hl = (size_t)(host_end - host_start);
    if (hl >= hostlen)
        return kp_fail(errstr, errlen, "property 'bootstrap.servers' entry '%.*s' has a host that is too long", n,
                    entry);
    memcpy(host, host_start, hl);
    host[hl] = '\0';
    return 0;
}

int kp_conf_next_broker(const char **cursor, char *host, size_t hostlen, int *port,
                        char *errstr, size_t errlen) {
    const char *p = *cursor;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *last = end;
    while (last > p && isspace((unsigned char)last[-1])) last--;
    if (last == p) return kp_fail(errstr, errlen, "property 'bootstrap.servers' has an empty entry");
    if (parse_broker(p, last, host, hostlen, port, errstr, errlen)) return -1;
    if (*end == ',') {
        const char *q = end + 1;
        while (isspace((unsigned char)*q)) q++;
        if (!*q) return kp_fail(errstr, errlen, "property 'bootstrap.servers' ends with ','");
        end++;
    }
    *cursor = end;
    return 1;
}

/* A list is valid when it has at least one entry, every entry parses and none repeats (as in Java). */
static int check_broker_list(const char *list, char *errstr, size_t errlen) {
    char host[256], other[256];
    int port, other_port, rc, count = 0;
    const char *cur = list;
    while ((rc = kp_conf_next_broker(&cur, host, sizeof host, &port, errstr, errlen)) == 1) {
        const char *prev = list;
        for (int i = 0; i < count; i++) {
            kp_conf_next_broker(&prev, other, sizeof other, &other_port, NULL, 0);
            if (other_port == port && strcasecmp(other, host) == 0)
                return kp_fail(errstr, errlen, "property 'bootstrap.servers' lists %s:%d twice", host, port);
        }
        count++;
    }
    if (rc < 0) return -1;
    if (count == 0) return kp_fail(errstr, errlen, "property 'bootstrap.servers' needs at least one host:port");
    return 0;
}

/* ---- parsing one value ---- */

typedef struct kp_conf_value {
    int64_t num;
    char *str; /* owned until stored */
} kp_conf_value;

static int range_error(const kp_conf_prop *p, const char *text, char *errstr, size_t errlen) {
    if (p->flags & KP_CONF_MINUS_ONE_DEFAULT)
        return kp_fail(errstr, errlen,
                    "property '%s' must be between %" PRId64 " and %" PRId64 " (or -1 for the %s), got %s",
                    p->name, p->min, p->max,
                    strncmp(p->name, "compression.", 12) == 0 ? "codec default" : "default", text);
    if (p->max == INT64_MAX)
        return kp_fail(errstr, errlen, "property '%s' must be at least %" PRId64 ", got %s", p->name, p->min, text);
    return kp_fail(errstr, errlen, "property '%s' must be between %" PRId64 " and %" PRId64 ", got %s", p->name,
                p->min, p->max, text);
}

static int parse_number(const kp_conf_prop *p, const char *text, int64_t *out, char *errstr, size_t errlen) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || isspace((unsigned char)*text)) {
        int looks_numeric = isdigit((unsigned char)text[0]) || ((text[0] == '-' || text[0] == '+') &&
                                                                 isdigit((unsigned char)text[1]));
        size_t nl = strlen(p->name);
        int is_duration = nl > 3 && strcmp(p->name + nl - 3, ".ms") == 0;
        return kp_fail(errstr, errlen, "property '%s' expects an integer, got '%s'%s", p->name, text,
                    looks_numeric && is_duration ? " (durations are plain milliseconds)" : "");
    }
    if (errno == ERANGE) return range_error(p, text, errstr, errlen);
    int minus_one_ok = (p->flags & KP_CONF_MINUS_ONE_DEFAULT) && v == -1;
    if (!minus_one_ok && (v < p->min || v > p->max)) return range_error(p, text, errstr, errlen);
    *out = v;
    return 0;
}

static int parse_choice(const kp_conf_prop *p, const char *text, int64_t *out, char *errstr, size_t errlen) {
    char names[256] = "";
    for (const kp_conf_choice *c = p->choices; c->name; c++) {
        if (strcmp(c->name, text) == 0) {
            *out = c->value;
            return 0;
        }
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", c->name);
    }
    return kp_fail(errstr, errlen, "property '%s' must be one of %s; got '%s'", p->name, names, text);
}

/* Parses trimmed `text` (NULL = no value, only for text properties) into *v. */
static int parse_value(const kp_conf_prop *p, const char *text, kp_conf_value *v, char *errstr, size_t errlen) {
    v->num = 0;
    v->str = NULL;
    switch (p->type) {
    case KP_CONF_INT:
    case KP_CONF_LONG:
        return parse_number(p, text, &v->num, errstr, errlen);
    case KP_CONF_BOOL:
        if (strcasecmp(text, "true") == 0) v->num = 1;
        else if (strcasecmp(text, "false") == 0) v->num = 0;
        else return kp_fail(errstr, errlen, "property '%s' expects true or false, got '%s'", p->name, text);
        return 0;
    case KP_CONF_ENUM:
        return parse_choice(p, text, &v->num, errstr, errlen);
    case KP_CONF_LIST:
        if (text && check_broker_list(text, errstr, errlen)) return -1;
        /* fall through */
    case KP_CONF_STRING:
        if (text && !(v->str = strdup(text))) return kp_fail(errstr, errlen, "out of memory setting '%s'", p->name);
        return 0;
    }
    return kp_fail(errstr, errlen, "property '%s' has an unknown type", p->name);
}

static void store_value(kp_conf *conf, const kp_conf_prop *p, kp_conf_value *v) {
    void *f = field_of(conf, p);
    switch (p->type) {
    case KP_CONF_INT: *(int32_t *)f = (int32_t)v->num; break;
    case KP_CONF_LONG: *(int64_t *)f = v->num; break;
    case KP_CONF_BOOL:
    case KP_CONF_ENUM: *(int *)f = (int)v->num; break;
    case KP_CONF_STRING:
    case KP_CONF_LIST:
        free(*(char **)f);
        *(char **)f = v->str;
        v->str = NULL;
        break;
    }
}

static int set_default(kp_conf *conf, const kp_conf_prop *p, char *errstr, size_t errlen) {
    kp_conf_value v;
    if (!p->def && !is_text(p)) return kp_fail(errstr, errlen, "property '%s' has no default", p->name);
    if (parse_value(p, p->def, &v, errstr, errlen)) return -1;
    store_value(conf, p, &v);
    return 0;
}

/* ---- public API ---- */

kp_conf *kp_conf_new(void) {
    kp_conf *conf = calloc(1, sizeof *conf);
    if (!conf) return NULL;
    for (size_t i = 0; i < KP_CONF_NPROPS; i++)
        if (set_default(conf, &kp_conf_props[i], NULL, 0)) goto err;
    return conf;
err:
    kp_conf_free(conf);
    return NULL;
}

void kp_conf_free(kp_conf *conf) {
    if (!conf) return;
    for (size_t i = 0; i < KP_CONF_NPROPS; i++)
        if (is_text(&kp_conf_props[i])) free(*(char **)field_of(conf, &kp_conf_props[i]));
    free(conf);
}

kp_conf *kp_conf_dup(const kp_conf *conf) {
    kp_conf *copy = malloc(sizeof *copy);
    if (!copy) return NULL;
    *copy = *conf;
    for (size_t i = 0; i < KP_CONF_NPROPS; i++) /* nothing shared, so a failure can free the copy */
        if (is_text(&kp_conf_props[i])) *(char **)field_of(copy, &kp_conf_props[i]) = NULL;
    for (size_t i = 0; i < KP_CONF_NPROPS; i++) {
        const kp_conf_prop *p = &kp_conf_props[i];
        const char *src = is_text(p) ? *(char **)field_of(conf, p) : NULL;
        if (src && !(*(char **)field_of(copy, p) = strdup(src))) goto err;
    }
    return copy;
err:
    kp_conf_free(copy);
    return NULL;
}

int kp_conf_set(kp_conf *conf, const char *name, const char *value, char *errstr, size_t errlen) {
    size_t index;
    const kp_conf_prop *p = find_prop(name, &index);
    if (!p) return unknown_property(name, errstr, errlen);
    uint64_t bit = UINT64_C(1) << (index % 64);

    if (!value) {
        if (set_default(conf, p, errstr, errlen)) return -1;
        conf->user_set[index / 64] &= ~bit;
        return 0;
    }
    if (p->flags & KP_CONF_UNSUPPORTED)
        return kp_fail(errstr, errlen, "property '%s' is not supported yet: kprod has no transactions; remove it",
                    p->name);

    while (isspace((unsigned char)*value)) value++;
    size_t len = strlen(value);
    while (len && isspace((unsigned char)value[len - 1])) len--;
    char *text = strndup(value, len);
    if (!text) return kp_fail(errstr, errlen, "out of memory setting '%s'", p->name);

    kp_conf_value v;
    int rc = parse_value(p, text, &v, errstr, errlen);
    free(text);
    if (rc) return -1;
    store_value(conf, p, &v);
    conf->user_set[index / 64] |= bit;
    return 0;
}

int kp_conf_set_line(kp_conf *conf, const char *line, char *errstr, size_t errlen) {
    while (isspace((unsigned char)*line)) line++;
    if (!*line || *line == '#') return 0;
    const char *eq = strchr(line, '=');
    if (!eq) return kp_fail(errstr, errlen, "expected key=value, got '%s'", line);
    size_t klen = (size_t)(eq - line);
    while (klen && isspace((unsigned char)line[klen - 1])) klen--;
    char key[128];
    if (klen == 0) return kp_fail(errstr, errlen, "expected key=value, got '%s' (no key)", line);
    if (klen >= sizeof key) return kp_fail(errstr, errlen, "unknown property '%.*s'", (int)klen, line);
    memcpy(key, line, klen);
    key[klen] = '\0';
    return kp_conf_set(conf, key, eq + 1, errstr, errlen);
}

static const char *choice_name(const kp_conf_prop *p, int value) {
    for (const kp_conf_choice *c = p->choices; c->name; c++)
        if (c->value == value) return c->name;
    return "?";
}

/* Formats a value of p held in conf (a NULL conf formats the default). */
static const char *format_value(const kp_conf *conf, const kp_conf_prop *p, char *buf, size_t buflen) {
    if (!buflen) return buf;
    if (!conf) {
        snprintf(buf, buflen, "%s", p->def ? p->def : "");
        return buf;
    }
    const void *f = field_of(conf, p);
    switch (p->type) {
    case KP_CONF_INT: snprintf(buf, buflen, "%" PRId32, *(const int32_t *)f); break;
    case KP_CONF_LONG: snprintf(buf, buflen, "%" PRId64, *(const int64_t *)f); break;
    case KP_CONF_BOOL: snprintf(buf, buflen, "%s", *(const int *)f ? "true" : "false"); break;
    case KP_CONF_ENUM: snprintf(buf, buflen, "%s", choice_name(p, *(const int *)f)); break;
    case KP_CONF_STRING:
    case KP_CONF_LIST: snprintf(buf, buflen, "%s", *(char *const *)f ? *(char *const *)f : ""); break;
    }
    return buf;
}

const char *kp_conf_get(const kp_conf *conf, const char *name, char *buf, size_t buflen) {
    const kp_conf_prop *p = find_prop(name, NULL);
    return p ? format_value(conf, p, buf, buflen) : NULL;
}

int kp_conf_is_set(const kp_conf *conf, const char *name) {
    size_t i;
    return find_prop(name, &i) ? user_set(conf, i) : -1;
}

/* ---- cross-property validation ---- */

static int is_set_by_user(const kp_conf *conf, const char *name) { return kp_conf_is_set(conf, name) == 1; }

/* The table entry of the chosen codec's level property; NULL for none/snappy, which have no level. */
static const kp_conf_prop *codec_level_prop(const kp_conf *conf) {
    switch (conf->compression_type) {
    case KP_CONF_COMPRESSION_GZIP: return find_prop("compression.gzip.level", NULL);
    case KP_CONF_COMPRESSION_LZ4: return find_prop("compression.lz4.level", NULL);
    case KP_CONF_COMPRESSION_ZSTD: return find_prop("compression.zstd.level", NULL);
    default: return NULL;
    }
}

static int validate_compression(kp_conf *conf, char *errstr, size_t errlen) {
    const kp_conf_prop *p = codec_level_prop(conf);
    int32_t level = conf->compression_level;
    if (!p || level == -1 || !is_set_by_user(conf, "compression.level")) return 0;
    int32_t *codec_level = field_of(conf, p);
    const char *codec = choice_name(find_prop("compression.type", NULL), conf->compression_type);
    if (is_set_by_user(conf, p->name) && *codec_level != level)
        return kp_fail(errstr, errlen, "compression.level=%" PRId32 " conflicts with %s=%" PRId32 "; set only one",
                    level, p->name, *codec_level);
    if (level < p->min || level > p->max)
        return kp_fail(errstr, errlen,
                    "compression.level=%" PRId32 " is out of range for compression.type=%s: must be between %" PRId64
                    " and %" PRId64 " (-1 for the codec default)",
                    level, codec, p->min, p->max);
    *codec_level = level;
    return 0;
}

/* A backoff or timeout ceiling below its base makes Java apply the base as a static value. */
static void settle_ceiling(kp_conf *conf, const char *base_name, const char *max_name, char *errstr,
                           size_t errlen) {
    int64_t base = *(int64_t *)field_of(conf, find_prop(base_name, NULL));
    int64_t *max = field_of(conf, find_prop(max_name, NULL));
    if (base <= *max) return;
    append(errstr, errlen, "; ", "%s raised to %s (%" PRId64 "): no exponential growth", max_name, base_name, base);
    *max = base;
}

static int validate_idempotence(kp_conf *conf, char *errstr, size_t errlen) {
    if (!conf->enable_idempotence) return 0;
    int explicit_on = is_set_by_user(conf, "enable.idempotence");
    int32_t inflight = conf->max_in_flight_requests_per_connection;
    char why[160] = "";
    if (conf->retries == 0) {
        if (explicit_on)
            return kp_fail(errstr, errlen, "enable.idempotence=true requires retries > 0, got retries=0 "
                                        "(or set enable.idempotence=false)");
        append(why, sizeof why, ", ", "retries=0");
    }
    if (conf->acks != -1) {
        if (explicit_on)
            return kp_fail(errstr, errlen, "enable.idempotence=true requires acks=all, got acks=%" PRId32
                                        " (or set enable.idempotence=false)", conf->acks);
        append(why, sizeof why, ", ", "acks=%" PRId32, conf->acks);
    }
    if (inflight > 5) {
        if (explicit_on)
            return kp_fail(errstr, errlen, "enable.idempotence=true requires max.in.flight.requests.per.connection "
                                        "<= 5, got %" PRId32 " (or set enable.idempotence=false)", inflight);
        append(why, sizeof why, ", ", "max.in.flight.requests.per.connection=%" PRId32, inflight);
    }
    if (why[0]) {
        conf->enable_idempotence = 0;
        append(errstr, errlen, "; ", "enable.idempotence turned off because %s", why);
    }
    return 0;
}

static int validate_delivery_timeout(kp_conf *conf, char *errstr, size_t errlen) {
    int64_t linger = conf->linger_ms < INT32_MAX ? conf->linger_ms : INT32_MAX;
    int64_t minimum = linger + conf->request_timeout_ms;
    if (minimum > INT32_MAX) minimum = INT32_MAX;
    if (conf->delivery_timeout_ms >= minimum) return 0;
    if (is_set_by_user(conf, "delivery.timeout.ms"))
        return kp_fail(errstr, errlen,
                    "delivery.timeout.ms=%" PRId32 " must be at least linger.ms + request.timeout.ms (%" PRId64
                    " + %" PRId32 " = %" PRId64 ")",
                    conf->delivery_timeout_ms, linger, conf->request_timeout_ms, minimum);
    append(errstr, errlen, "; ", "delivery.timeout.ms raised to linger.ms + request.timeout.ms = %" PRId64, minimum);
    conf->delivery_timeout_ms = (int32_t)minimum;
    return 0;
}

int kp_conf_validate(kp_conf *conf, char *errstr, size_t errlen) {
    if (errstr && errlen) errstr[0] = '\0';
    if (conf->transactional_id)
        return kp_fail(errstr, errlen, "property 'transactional.id' is not supported yet: kprod has no transactions");
    if (validate_compression(conf, errstr, errlen)) return -1;

    if (is_set_by_user(conf, "reconnect.backoff.ms") && !is_set_by_user(conf, "reconnect.backoff.max.ms"))
        conf->reconnect_backoff_max_ms = conf->reconnect_backoff_ms;
    settle_ceiling(conf, "retry.backoff.ms", "retry.backoff.max.ms", errstr, errlen);
    settle_ceiling(conf, "reconnect.backoff.ms", "reconnect.backoff.max.ms", errstr, errlen);
    settle_ceiling(conf, "socket.connection.setup.timeout.ms", "socket.connection.setup.timeout.max.ms", errstr,
                   errlen);

    if (validate_idempotence(conf, errstr, errlen)) return -1;
    if (validate_delivery_timeout(conf, errstr, errlen)) return -1;
    return 0;
}

int32_t kp_conf_compression_level_for_codec(const kp_conf *conf) {
    const kp_conf_prop *p = codec_level_prop(conf);
    return p ? *(const int32_t *)field_of(conf, p) : 0;
}

/* ---- Markdown dump ---- */

static void md_cell(FILE *out, const char *s) {
    fputc(' ', out);
    for (; *s; s++) {
        if (*s == '|') fputc('\\', out);
        fputc(*s == '\n' ? ' ' : *s, out);
    }
    fputs(" |", out);
}

static void md_code_cell(FILE *out, const char *s) {
    if (!*s) {
        md_cell(out, "*unset*");
        return;
    }
    fputs(" `", out);
    fputs(s, out);
    fputs("` |", out);
}

static const char *format_range(const kp_conf_prop *p, char *buf, size_t buflen) {
    switch (p->type) {
    case KP_CONF_INT:
    case KP_CONF_LONG:
        if (p->flags & KP_CONF_MINUS_ONE_DEFAULT)
            snprintf(buf, buflen, "-1 or %" PRId64 " .. %" PRId64, p->min, p->max);
        else if (p->max == INT64_MAX)
            snprintf(buf, buflen, ">= %" PRId64, p->min);
        else
            snprintf(buf, buflen, "%" PRId64 " .. %" PRId64, p->min, p->max);
        break;
    case KP_CONF_BOOL: snprintf(buf, buflen, "true, false"); break;
    case KP_CONF_ENUM:
        buf[0] = '\0';
        for (const kp_conf_choice *c = p->choices; c->name; c++) {
            size_t used = strlen(buf);
            snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", c->name);
        }
        break;
    case KP_CONF_STRING: snprintf(buf, buflen, "%s", (p->flags & KP_CONF_UNSUPPORTED) ? "not supported yet" : "any"); break;
    case KP_CONF_LIST: snprintf(buf, buflen, "host:port, ..."); break;
    }
    return buf;
}

void kp_conf_dump(const kp_conf *conf, FILE *out) {
    char buf[512];
    fputs(conf ? "| Property | Default | Value | Range | Description |\n|---|---|---|---|---|\n"
               : "| Property | Default | Range | Description |\n|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < KP_CONF_NPROPS; i++) {
        const kp_conf_prop *p = &kp_conf_props[i];
        fputs("|", out);
        md_code_cell(out, p->name);
        md_code_cell(out, format_value(NULL, p, buf, sizeof buf));
        if (conf) md_code_cell(out, format_value(conf, p, buf, sizeof buf));
        md_cell(out, format_range(p, buf, sizeof buf));
        md_cell(out, p->doc);
        fputc('\n', out);
    }
}
