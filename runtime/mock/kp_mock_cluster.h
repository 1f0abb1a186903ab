/* kp_mock_cluster.h: an in-process librdkafka mock cluster and the commands that inject faults. */
#ifndef KP_MOCK_CLUSTER_H
#define KP_MOCK_CLUSTER_H

#include <stddef.h>
#include <stdio.h>

#define KP_MOCK_CLUSTER_DEFAULT_BROKERS 3
#define KP_MOCK_CLUSTER_MAX_BROKERS 100
#define KP_MOCK_CLUSTER_MAX_PARTITIONS 10000
#define KP_MOCK_CLUSTER_TOPIC_NAME_MAX 249 /* Kafka's own limit */

/* What kp_mock_cluster_command() made of a line it did not run on the
 * cluster; what they mean is up to the caller (`kprod mock`: no answer,
 * the command list on stderr, stop). */
#define KP_MOCK_LINE_BLANK 1 /* empty, only blanks, or a # comment */
#define KP_MOCK_LINE_HELP 2  /* `help` */
#define KP_MOCK_LINE_QUIT 3  /* `quit` */

typedef struct kp_mock_cluster kp_mock_cluster;

/* A topic to create, as parsed by kp_mock_cluster_parse_topic_spec(). */
typedef struct kp_mock_cluster_topic_spec {
    char name[KP_MOCK_CLUSTER_TOPIC_NAME_MAX + 1];
    int partitions;
    int replication; /* 0: the cluster default, min(3, brokers) */
} kp_mock_cluster_topic_spec;

/* Starts a mock cluster of `brokers` (1..KP_MOCK_CLUSTER_MAX_BROKERS)
 * brokers, ids 1..brokers, listening on 127.0.0.1 in librdkafka's own
 * threads. librdkafka logs only errors unless `verbose` (then everything,
 * with mock debug), on stderr. Metadata requests auto-create unknown topics.
 * Returns the cluster, owned by the caller (kp_mock_cluster_destroy()), or
 * NULL with errstr filled and nothing left behind. */
kp_mock_cluster *kp_mock_cluster_new(int brokers, int verbose, char *errstr, size_t errlen);

/* The bootstrap list, "127.0.0.1:PORT,..." one entry per broker; owned by
 * the cluster and valid until kp_mock_cluster_destroy(). */
const char *kp_mock_cluster_bootstraps(const kp_mock_cluster *m);

/* The number of brokers given to kp_mock_cluster_new(). */
int kp_mock_cluster_broker_count(const kp_mock_cluster *m);

/* Creates topic `name` with `partitions` partitions (1..10000) replicated
 * `replication` times (0: min(3, brokers); more than the brokers is refused,
 * as a real cluster would). Returns 0, or -1 with errstr filled (bad name or
 * count, topic already exists, librdkafka's error). */
int kp_mock_cluster_create_topic(kp_mock_cluster *m, const char *name, int partitions,
                                 int replication, char *errstr, size_t errlen);

/* Runs one control line exactly as `kprod mock` reads them from stdin
 * (words split on blanks; see kp_mock_cluster_print_commands()). `line` is
 * not modified and may be any length. Returns 0 after running a command on
 * the cluster; -1 with errstr filled (the text `kprod mock` prints after
 * "error: "), the cluster unchanged unless librdkafka failed midway; or a
 * positive KP_MOCK_LINE_* for a line that is not a cluster command.
 * Safe to call from any thread: the cluster's own state is immutable and
 * librdkafka's mock API hands each change to the cluster's thread. */
int kp_mock_cluster_command(kp_mock_cluster *m, const char *line, char *errstr, size_t errlen);

/* Writes the command list (usage and one line of help each) to `out`. */
void kp_mock_cluster_print_commands(FILE *out);

/* Stops the brokers (their clients see connections closed) and frees the
 * cluster; NULL is ignored. */
void kp_mock_cluster_destroy(kp_mock_cluster *m);

/* The version of the librdkafka whose mock this is, e.g. "2.0.2". */
const char *kp_mock_cluster_rdkafka_version(void);

/* Parses all of s as a decimal integer in [min, max] into *out. Returns 0,
 * or -1 with errstr "bad WHAT 'S': expected an integer MIN..MAX" (*out
 * untouched): the wording of every number in the command language. */
int kp_mock_cluster_parse_int(const char *s, const char *what, long min, long max, int *out,
                              char *errstr, size_t errlen);

/* Parses "NAME:PARTITIONS[:REPLICATION]" into *out, checking the name and
 * the counts; `what` names the spec's source in errors (e.g. "--topic").
 * Returns 0, or -1 with errstr filled (*out partly written). */
int kp_mock_cluster_parse_topic_spec(const char *spec, const char *what,
                                     kp_mock_cluster_topic_spec *out, char *errstr,
                                     size_t errlen);

#endif
