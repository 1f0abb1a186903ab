/* kp_mock_cluster.c: an in-process librdkafka mock cluster and the commands that inject faults. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "kp_mock_cluster.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Debian's librdkafka-dev (2.0.2) installs its headers as librdkafka/...;
 * scripts/build-modern-peer lays out the 2.12 headers the same way, so this
 * file builds unchanged against both. rdkafka_mock.h must follow rdkafka.h. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define KP_MOCK_DEFAULT_REPLICATION 3 /* capped at the broker count, like the mock's auto-create */
#define KP_MOCK_MAX_ERROR_COUNT 100000
#define KP_MOCK_MAX_RTT_MS 3600000
#define KP_MOCK_MAX_WORDS 6

/* Broker-id arguments that may also name every broker or no broker. */
#define KP_MOCK_ID_ALL 0x1  /* "all" -> -1: every broker (down, up, rtt) */
#define KP_MOCK_ID_NONE 0x2 /* "-1" or "none" -> -1: no leader */

struct kp_mock_cluster {
    rd_kafka_t *rk;                    /* owned; only book-keeping for the mock */
    rd_kafka_mock_cluster_t *mcluster; /* owned */
    int broker_cnt;                    /* broker ids are 1..broker_cnt */
};

/* args: the words after the command, NULL-terminated, their count already
 * checked against the table. Returns 0, or -1 with errstr filled. */
typedef int (*kp_mock_cmd_fn)(kp_mock_cluster *m, char **args, char *errstr, size_t errlen);

struct kp_mock_cmd {
    const char *name;
    int min_args, max_args; /* not counting the command word */
    kp_mock_cmd_fn fn;      /* NULL: not run here, `line_kind` is returned instead */
    int line_kind;          /* KP_MOCK_LINE_* when fn is NULL */
    const char *usage;
    const char *help;
};

/* Kafka protocol API keys, as named in the protocol guide. */
static const struct {
    const char *name;
    int16_t key;
} kp_mock_api_keys[] = {
    {"Produce", 0}, {"Fetch", 1}, {"ListOffsets", 2}, {"Metadata", 3}, {"OffsetCommit", 8},
    {"OffsetFetch", 9}, {"FindCoordinator", 10}, {"JoinGroup", 11}, {"Heartbeat", 12},
    {"LeaveGroup", 13}, {"SyncGroup", 14}, {"DescribeGroups", 15}, {"ListGroups", 16},
    {"SaslHandshake", 17}, {"ApiVersions", 18}, {"CreateTopics", 19}, {"DeleteTopics", 20},
    {"DeleteRecords", 21}, {"InitProducerId", 22}, {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24}, {"AddOffsetsToTxn", 25}, {"EndTxn", 26}, {"TxnOffsetCommit", 28},
    {"DescribeConfigs", 32}, {"AlterConfigs", 33}, {"SaslAuthenticate", 36},
    {"CreatePartitions", 37}, {"DeleteGroups", 42}, {"IncrementalAlterConfigs", 44},
    {"OffsetDelete", 47},
};

/* Kafka's (Java) error names where librdkafka's differ; librdkafka's own
 * names (rd_kafka_err2name) are accepted as well. */
static const struct {
    const char *name;
    rd_kafka_resp_err_t code;
} kp_mock_error_aliases[] = {
    {"UNKNOWN_SERVER_ERROR", RD_KAFKA_RESP_ERR_UNKNOWN},
    {"NONE", RD_KAFKA_RESP_ERR_NO_ERROR},
    {"CORRUPT_MESSAGE", RD_KAFKA_RESP_ERR_INVALID_MSG},
    {"UNKNOWN_TOPIC_OR_PARTITION", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
    {"INVALID_FETCH_SIZE", RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE},
    {"NOT_LEADER_OR_FOLLOWER", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
    {"MESSAGE_TOO_LARGE", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE},
    {"STALE_CONTROLLER_EPOCH", RD_KAFKA_RESP_ERR_STALE_CTRL_EPOCH},
};

/* Fills errstr from fmt; returns -1 so callers can `return kp_mock_fail(...)`. */
static int kp_mock_fail(char *errstr, size_t errlen, const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reports an error returned by a librdkafka mock call, naming what was tried. */
static int kp_mock_fail_rdkafka(char *errstr, size_t errlen, rd_kafka_resp_err_t err,
                                const char *what) {
    return kp_mock_fail(errstr, errlen, "%s: librdkafka says %s (%s)", what,
                        rd_kafka_err2str(err), rd_kafka_err2name(err));
}

/* Parses all of s as a decimal integer in [min, max]. Returns 0 with *out
 * set, or -1 (s empty, not a number, or out of range; *out untouched). */
static int kp_mock_parse_long(const char *s, long min, long max, long *out) {
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int kp_mock_cluster_parse_int(const char *s, const char *what, long min, long max, int *out,
                              char *errstr, size_t errlen) {
    long v;

    if (kp_mock_parse_long(s, min, max, &v) == -1)
        return kp_mock_fail(errstr, errlen, "bad %s '%s': expected an integer %ld..%ld", what, s,
                            min, max);
    *out = (int)v;
    return 0;
}

/* Parses a broker id of this cluster; flags (KP_MOCK_ID_*) allow -1. */
static int kp_mock_parse_broker_id(const kp_mock_cluster *m, const char *s, int flags,
                                   int32_t *out, char *errstr, size_t errlen) {
    long v;

    if (((flags & KP_MOCK_ID_ALL) && !strcasecmp(s, "all")) ||
        ((flags & KP_MOCK_ID_NONE) && (!strcasecmp(s, "none") || !strcmp(s, "-1")))) {
        *out = -1;
        return 0;
    }
    if (kp_mock_parse_long(s, 1, m->broker_cnt, &v) == -1)
        return kp_mock_fail(errstr, errlen,
                            "unknown broker id '%s': this cluster has brokers 1..%d%s", s,
                            m->broker_cnt,
                            (flags & KP_MOCK_ID_ALL)    ? " (or 'all')"
                            : (flags & KP_MOCK_ID_NONE) ? " (or -1 for no leader)"
                                                        : "");
    *out = (int32_t)v;
    return 0;
}

/* Parses an API key given as a number or a protocol name (any case). */
static int kp_mock_parse_api_key(const char *s, int16_t *out, char *errstr, size_t errlen) {
    size_t i;
    long v;

    if (kp_mock_parse_long(s, 0, INT16_MAX, &v) == 0) {
        *out = (int16_t)v;
        return 0;
    }
    for (i = 0; i < sizeof(kp_mock_api_keys) / sizeof(kp_mock_api_keys[0]); i++) {
        if (!strcasecmp(s, kp_mock_api_keys[i].name)) {
            *out = kp_mock_api_keys[i].key;
            return 0;
        }
    }
    return kp_mock_fail(errstr, errlen,
                        "unknown API key '%s': give a number 0..%d or a name like Produce, "
                        "Metadata, ApiVersions, InitProducerId",
                        s, INT16_MAX);
}

/* Parses an error code given as a number (Kafka error N is librdkafka's
 * rd_kafka_resp_err_t N) or a name from librdkafka's table or Kafka's. */
static int kp_mock_parse_error_code(const char *s, rd_kafka_resp_err_t *out, char *errstr,
                                    size_t errlen) {
    const struct rd_kafka_err_desc *descs;
    size_t desc_cnt, i;
    long v;

    if (kp_mock_parse_long(s, INT16_MIN, INT16_MAX, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    for (i = 0; i < sizeof(kp_mock_error_aliases) / sizeof(kp_mock_error_aliases[0]); i++) {
        if (!strcasecmp(s, kp_mock_error_aliases[i].name)) {
            *out = kp_mock_error_aliases[i].code;
            return 0;
        }
    }
    rd_kafka_get_err_descs(&descs, &desc_cnt);
    for (i = 0; i < desc_cnt; i++) {
        if (descs[i].name && descs[i].code != RD_KAFKA_RESP_ERR__BEGIN &&
            descs[i].code != RD_KAFKA_RESP_ERR__END && !strcasecmp(s, descs[i].name)) {
            *out = descs[i].code;
            return 0;
        }
    }
    return kp_mock_fail(errstr, errlen,
                        "unknown error '%s': give a number or a Kafka error name like "
                        "NOT_LEADER_OR_FOLLOWER or _TRANSPORT (librdkafka %s)",
                        s, rd_kafka_version_str());
}

/* Checks a topic name against Kafka's rules: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
static int kp_mock_check_topic_name(const char *name, char *errstr, size_t errlen) {
    size_t len = strlen(name);

    if (len == 0 || len > KP_MOCK_CLUSTER_TOPIC_NAME_MAX)
        return kp_mock_fail(errstr, errlen, "bad topic name '%s': it must be 1..%d characters",
                            name, KP_MOCK_CLUSTER_TOPIC_NAME_MAX);
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
        return kp_mock_fail(errstr, errlen,
                            "bad topic name '%s': Kafka allows only [a-zA-Z0-9._-]", name);
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return kp_mock_fail(errstr, errlen, "bad topic name '%s'", name);
    return 0;
}

int kp_mock_cluster_parse_topic_spec(const char *spec, const char *what,
                                     kp_mock_cluster_topic_spec *out, char *errstr,
                                     size_t errlen) {
    char copy[KP_MOCK_CLUSTER_TOPIC_NAME_MAX + 64];
    char label[64];
    char *partitions, *replication;

    if (strlen(spec) >= sizeof(copy))
        return kp_mock_fail(errstr, errlen, "bad %s '%.40s...': too long", what, spec);
    strcpy(copy, spec);
    if (!(partitions = strchr(copy, ':')))
        return kp_mock_fail(errstr, errlen, "bad %s '%s': expected NAME:PARTITIONS[:REPLICATION]",
                            what, spec);
    *partitions++ = '\0';
    if ((replication = strchr(partitions, ':')))
        *replication++ = '\0';
    if (kp_mock_check_topic_name(copy, errstr, errlen) == -1)
        return -1;
    snprintf(label, sizeof(label), "%s partition count", what);
    if (kp_mock_cluster_parse_int(partitions, label, 1, KP_MOCK_CLUSTER_MAX_PARTITIONS,
                                  &out->partitions, errstr, errlen) == -1)
        return -1;
    out->replication = 0;
    snprintf(label, sizeof(label), "%s replication factor", what);
    if (replication &&
        kp_mock_cluster_parse_int(replication, label, 1, KP_MOCK_CLUSTER_MAX_BROKERS,
                                  &out->replication, errstr, errlen) == -1)
        return -1;
    strcpy(out->name, copy);
    return 0;
}

int kp_mock_cluster_create_topic(kp_mock_cluster *m, const char *name, int partitions,
                                 int replication, char *errstr, size_t errlen) {
    rd_kafka_resp_err_t err;
    char what[KP_MOCK_CLUSTER_TOPIC_NAME_MAX + 64];

    if (kp_mock_check_topic_name(name, errstr, errlen) == -1)
        return -1;
    if (partitions < 1 || partitions > KP_MOCK_CLUSTER_MAX_PARTITIONS)
        return kp_mock_fail(errstr, errlen, "bad partition count %d for topic '%s': expected 1..%d",
                            partitions, name, KP_MOCK_CLUSTER_MAX_PARTITIONS);
    if (replication < 0)
        return kp_mock_fail(errstr, errlen,
                            "bad replication factor %d for topic '%s': expected 1..%d, or 0 for "
                            "the default",
                            replication, name, m->broker_cnt);
    if (replication == 0)
        replication = m->broker_cnt < KP_MOCK_DEFAULT_REPLICATION ? m->broker_cnt
                                                                  : KP_MOCK_DEFAULT_REPLICATION;
    /* The mock would silently cap it; a real cluster refuses. */
    if (replication > m->broker_cnt)
        return kp_mock_fail(errstr, errlen,
                            "replication factor %d for topic '%s' exceeds the %d broker(s) of "
                            "this cluster",
                            replication, name, m->broker_cnt);
    err = rd_kafka_mock_topic_create(m->mcluster, name, partitions, replication);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return kp_mock_fail(errstr, errlen,
                            "topic '%s' already exists (created before, or auto-created by a "
                            "Metadata request)",
                            name);
    if (err) {
        snprintf(what, sizeof(what), "cannot create topic '%s'", name);
        return kp_mock_fail_rdkafka(errstr, errlen, err, what);
    }
    return 0;
}

static int kp_mock_broker_updown(kp_mock_cluster *m, const char *id_arg, int up, char *errstr,
                                 size_t errlen) {
    rd_kafka_resp_err_t err;
    int32_t id = 0;

    if (kp_mock_parse_broker_id(m, id_arg, KP_MOCK_ID_ALL, &id, errstr, errlen) == -1)
        return -1;
    err = up ? rd_kafka_mock_broker_set_up(m->mcluster, id)
             : rd_kafka_mock_broker_set_down(m->mcluster, id);
    if (err)
        return kp_mock_fail_rdkafka(errstr, errlen, err,
                                    up ? "cannot bring broker up" : "cannot take broker down");
    return 0;
}

static int kp_mock_cmd_down(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    return kp_mock_broker_updown(m, args[0], 0, errstr, errlen);
}

static int kp_mock_cmd_up(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    return kp_mock_broker_updown(m, args[0], 1, errstr, errlen);
}

static int kp_mock_cmd_rtt(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    rd_kafka_resp_err_t err;
    int32_t id = 0;
    int rtt_ms = 0;

    if (kp_mock_parse_broker_id(m, args[0], KP_MOCK_ID_ALL, &id, errstr, errlen) == -1 ||
        kp_mock_cluster_parse_int(args[1], "round-trip time (ms)", 0, KP_MOCK_MAX_RTT_MS, &rtt_ms,
                                  errstr, errlen) == -1)
        return -1;
    if ((err = rd_kafka_mock_broker_set_rtt(m->mcluster, id, rtt_ms)))
        return kp_mock_fail_rdkafka(errstr, errlen, err, "cannot set round-trip time");
    return 0;
}

/* The codes of one push: ERRCODE[,ERRCODE...], answered in that order. */
#define KP_MOCK_MAX_ERROR_LIST 16
typedef struct kp_mock_error_push {
    int16_t api_key;
    rd_kafka_resp_err_t codes[KP_MOCK_MAX_ERROR_LIST];
    int ncodes;
    int count; /* how many times the list is pushed */
} kp_mock_error_push;

/* Parses the APIKEY ERRCODE[,ERRCODE...] COUNT triple shared by `errors` and
 * `broker-errors`. */
static int kp_mock_parse_error_push(char **args, kp_mock_error_push *push, char *errstr,
                                    size_t errlen) {
    char list[256], *save = NULL, *code;

    if (kp_mock_parse_api_key(args[0], &push->api_key, errstr, errlen) == -1 ||
        kp_mock_cluster_parse_int(args[2], "error count", 1, KP_MOCK_MAX_ERROR_COUNT, &push->count,
                                  errstr, errlen) == -1)
        return -1;
    snprintf(list, sizeof list, "%s", args[1]);
    push->ncodes = 0;
    for (code = strtok_r(list, ",", &save); code; code = strtok_r(NULL, ",", &save)) {
        if (push->ncodes == KP_MOCK_MAX_ERROR_LIST)
            return kp_mock_fail(errstr, errlen, "at most %d error codes in one list",
                                KP_MOCK_MAX_ERROR_LIST);
        if (kp_mock_parse_error_code(code, &push->codes[push->ncodes], errstr, errlen) == -1)
            return -1;
        push->ncodes++;
    }
    if (push->ncodes == 0) return kp_mock_fail(errstr, errlen, "no error code in '%s'", args[1]);
    if ((long)push->count * push->ncodes > KP_MOCK_MAX_ERROR_COUNT)
        return kp_mock_fail(errstr, errlen, "at most %d errors in one command",
                            KP_MOCK_MAX_ERROR_COUNT);
    return 0;
}

static int kp_mock_cmd_errors(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    kp_mock_error_push push;
    int i, k;

    if (kp_mock_parse_error_push(args, &push, errstr, errlen) == -1) return -1;
    for (i = 0; i < push.count; i++)
        for (k = 0; k < push.ncodes; k++)
            rd_kafka_mock_push_request_errors(m->mcluster, push.api_key, 1, push.codes[k]);
    return 0;
}

static int kp_mock_cmd_broker_errors(kp_mock_cluster *m, char **args, char *errstr,
                                     size_t errlen) {
    rd_kafka_resp_err_t err;
    kp_mock_error_push push;
    int32_t id = 0;
    int i, k;

    if (kp_mock_parse_broker_id(m, args[0], 0, &id, errstr, errlen) == -1 ||
        kp_mock_parse_error_push(args + 1, &push, errstr, errlen) == -1)
        return -1;
    for (i = 0; i < push.count; i++) {
        for (k = 0; k < push.ncodes; k++) {
            /* Each entry is an (error, rtt_ms) pair; rtt 0 keeps the broker's own. */
            if ((err = rd_kafka_mock_broker_push_request_error_rtts(m->mcluster, id, push.api_key,
                                                                    1, push.codes[k], 0)))
                return kp_mock_fail_rdkafka(errstr, errlen, err, "cannot push broker errors");
        }
    }
    return 0;
}

static int kp_mock_cmd_clear(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    int16_t api_key = 0;

    if (kp_mock_parse_api_key(args[0], &api_key, errstr, errlen) == -1)
        return -1;
    rd_kafka_mock_clear_request_errors(m->mcluster, api_key);
    return 0;
}

static int kp_mock_cmd_leader(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    rd_kafka_resp_err_t err;
    int32_t id = 0;
    int partition = 0;

    if (kp_mock_check_topic_name(args[0], errstr, errlen) == -1 ||
        kp_mock_cluster_parse_int(args[1], "partition", 0, KP_MOCK_CLUSTER_MAX_PARTITIONS - 1,
                                  &partition, errstr, errlen) == -1 ||
        kp_mock_parse_broker_id(m, args[2], KP_MOCK_ID_NONE, &id, errstr, errlen) == -1)
        return -1;
    err = rd_kafka_mock_partition_set_leader(m->mcluster, args[0], partition, id);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return kp_mock_fail(errstr, errlen, "topic '%s' has no partition %d", args[0], partition);
    if (err)
        return kp_mock_fail_rdkafka(errstr, errlen, err, "cannot set partition leader");
    return 0;
}

static int kp_mock_cmd_topic(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    int partitions = 0, replication = 0;

    /* Checked here, before the counts, so a bad name is what gets reported. */
    if (kp_mock_check_topic_name(args[0], errstr, errlen) == -1 ||
        kp_mock_cluster_parse_int(args[1], "partition count", 1, KP_MOCK_CLUSTER_MAX_PARTITIONS,
                                  &partitions, errstr, errlen) == -1)
        return -1;
    if (args[2] && kp_mock_cluster_parse_int(args[2], "replication factor", 1,
                                              KP_MOCK_CLUSTER_MAX_BROKERS, &replication, errstr,
                                              errlen) == -1)
        return -1;
    return kp_mock_cluster_create_topic(m, args[0], partitions, replication, errstr, errlen);
}

static int kp_mock_cmd_apiversion(kp_mock_cluster *m, char **args, char *errstr, size_t errlen) {
    rd_kafka_resp_err_t err;
    int16_t api_key = 0;
    int min_version = 0, max_version = 0;

    if (kp_mock_parse_api_key(args[0], &api_key, errstr, errlen) == -1 ||
        kp_mock_cluster_parse_int(args[1], "MinVersion", -1, INT16_MAX, &min_version, errstr,
                                  errlen) == -1 ||
        kp_mock_cluster_parse_int(args[2], "MaxVersion", -1, INT16_MAX, &max_version, errstr,
                                  errlen) == -1)
        return -1;
    if ((min_version == -1) != (max_version == -1) || min_version > max_version)
        return kp_mock_fail(errstr, errlen,
                            "bad version range %d..%d: need MIN <= MAX, or -1 -1 to hide the API",
                            min_version, max_version);
    err = rd_kafka_mock_set_apiversion(m->mcluster, api_key, (int16_t)min_version,
                                       (int16_t)max_version);
    if (err)
        return kp_mock_fail_rdkafka(errstr, errlen, err, "cannot set API versions");
    return 0;
}

static const struct kp_mock_cmd kp_mock_cmds[] = {
    {"down", 1, 1, kp_mock_cmd_down, 0, "down ID|all",
     "disconnect the broker and refuse connections (the leaders stay)"},
    {"up", 1, 1, kp_mock_cmd_up, 0, "up ID|all", "accept connections again"},
    {"rtt", 2, 2, kp_mock_cmd_rtt, 0, "rtt ID|all MS",
     "delay every response of the broker by MS ms"},
    {"errors", 3, 3, kp_mock_cmd_errors, 0, "errors APIKEY ERRCODE[,ERRCODE...] COUNT",
     "fail the next APIKEY requests, on any broker, with the ERRCODEs in turn, COUNT times"},
    {"broker-errors", 4, 4, kp_mock_cmd_broker_errors, 0,
     "broker-errors ID APIKEY ERRCODE[,...] COUNT",
     "the same on broker ID only; these come before `errors`"},
    {"clear", 1, 1, kp_mock_cmd_clear, 0, "clear APIKEY",
     "drop the APIKEY errors still pending from `errors` (not broker-errors)"},
    {"leader", 3, 3, kp_mock_cmd_leader, 0, "leader TOPIC PARTITION ID|-1",
     "move the partition's leader (-1: none); an unknown TOPIC is created with PARTITION+1 "
     "partitions"},
    {"topic", 2, 3, kp_mock_cmd_topic, 0, "topic NAME PARTITIONS [REPLICATION]",
     "create a topic; replication defaults to min(3, brokers)"},
    {"apiversion", 3, 3, kp_mock_cmd_apiversion, 0, "apiversion APIKEY MIN MAX",
     "advertise only versions MIN..MAX of APIKEY (-1 -1: not at all)"},
    {"help", 0, 0, NULL, KP_MOCK_LINE_HELP, "help", "list the commands on stderr"},
    {"quit", 0, 0, NULL, KP_MOCK_LINE_QUIT, "quit", "stop the cluster and exit"},
};

#define KP_MOCK_CMD_CNT (sizeof(kp_mock_cmds) / sizeof(kp_mock_cmds[0]))

void kp_mock_cluster_print_commands(FILE *out) {
    size_t i;

    fprintf(out, "Commands (one per line; each answered by `ok` or `error: ...`):\n");
    for (i = 0; i < KP_MOCK_CMD_CNT; i++)
        fprintf(out, "  %-44s %s\n", kp_mock_cmds[i].usage, kp_mock_cmds[i].help);
    fprintf(out, "APIKEY: a number or a name like Produce, Metadata, ApiVersions, InitProducerId.\n"
                 "ERRCODE: a number or a name like NOT_LEADER_OR_FOLLOWER, "
                 "TOPIC_AUTHORIZATION_FAILED,\n"
                 "  or _TRANSPORT to make the broker drop the connection.\n"
                 "Blank lines and lines starting with # are ignored.\n");
}

int kp_mock_cluster_command(kp_mock_cluster *m, const char *line, char *errstr, size_t errlen) {
    char *words[KP_MOCK_MAX_WORDS + 2]; /* one extra to detect too many, one NULL */
    char *copy, *save = NULL, *word;
    const struct kp_mock_cmd *cmd = NULL;
    int word_cnt = 0, rc = KP_MOCK_LINE_BLANK;
    size_t i;

    /* strtok_r writes into the line, which is the caller's. */
    if (!(copy = strdup(line)))
        return kp_mock_fail(errstr, errlen, "out of memory for a %zu-byte command line",
                            strlen(line));
    for (word = strtok_r(copy, " \t\r", &save); word; word = strtok_r(NULL, " \t\r", &save)) {
        if (word_cnt == KP_MOCK_MAX_WORDS + 1)
            break; /* too many for any command; reported below */
        words[word_cnt++] = word;
    }
    if (word_cnt == 0 || words[0][0] == '#')
        goto done;

    for (i = 0; i < KP_MOCK_CMD_CNT; i++) {
        if (!strcmp(words[0], kp_mock_cmds[i].name)) {
            cmd = &kp_mock_cmds[i];
            break;
        }
    }
    if (!cmd) {
        rc = kp_mock_fail(errstr, errlen, "unknown command '%s' (try help)", words[0]);
        goto done;
    }
    if (word_cnt - 1 < cmd->min_args || word_cnt - 1 > cmd->max_args) {
        rc = kp_mock_fail(errstr, errlen, "wrong number of arguments for %s: usage: %s",
                          cmd->name, cmd->usage);
        goto done;
    }
    words[word_cnt] = NULL;
    rc = cmd->fn ? cmd->fn(m, words + 1, errstr, errlen) : cmd->line_kind;

done:
    free(copy);
    return rc;
}

/* The book-keeping handle has no bootstrap.servers, so it never sends
 * requests of its own: every pushed error is left for the clients under
 * test. */
kp_mock_cluster *kp_mock_cluster_new(int brokers, int verbose, char *errstr, size_t errlen) {
    kp_mock_cluster *m = NULL;
    rd_kafka_conf_t *conf = NULL;
    char rderr[256];

    if (brokers < 1 || brokers > KP_MOCK_CLUSTER_MAX_BROKERS) {
        kp_mock_fail(errstr, errlen, "bad broker count %d: expected 1..%d", brokers,
                     KP_MOCK_CLUSTER_MAX_BROKERS);
        goto err;
    }
    if (!(m = calloc(1, sizeof(*m)))) {
        kp_mock_fail(errstr, errlen, "out of memory");
        goto err;
    }
    m->broker_cnt = brokers;
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "client.id", "kprod-mock", rderr, sizeof(rderr)) ||
        rd_kafka_conf_set(conf, "log_level", verbose ? "7" : "3", rderr, sizeof(rderr)) ||
        (verbose && rd_kafka_conf_set(conf, "debug", "mock", rderr, sizeof(rderr)))) {
        kp_mock_fail(errstr, errlen, "cannot configure librdkafka: %s", rderr);
        goto err;
    }
    if (!(m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr)))) {
        kp_mock_fail(errstr, errlen, "cannot create the librdkafka handle: %s", rderr);
        goto err;
    }
    conf = NULL; /* rd_kafka_new owns it on success only */
    if (!(m->mcluster = rd_kafka_mock_cluster_new(m->rk, brokers))) {
        kp_mock_fail(errstr, errlen,
                     "cannot start a mock cluster of %d broker(s): librdkafka could not listen "
                     "on 127.0.0.1 (run with --verbose for its log)",
                     brokers);
        goto err;
    }
    return m;

err:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kp_mock_cluster_destroy(m);
    return NULL;
}

const char *kp_mock_cluster_bootstraps(const kp_mock_cluster *m) {
    return rd_kafka_mock_cluster_bootstraps(m->mcluster);
}

int kp_mock_cluster_broker_count(const kp_mock_cluster *m) {
    return m->broker_cnt;
}

void kp_mock_cluster_destroy(kp_mock_cluster *m) {
    if (!m)
        return;
    if (m->mcluster)
        rd_kafka_mock_cluster_destroy(m->mcluster);
    if (m->rk)
        rd_kafka_destroy(m->rk);
    free(m);
}

const char *kp_mock_cluster_rdkafka_version(void) {
    return rd_kafka_version_str();
}
