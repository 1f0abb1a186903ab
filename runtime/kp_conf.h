/* kp_conf.h — the producer's typed configuration: Apache Kafka Java producer
 * property names and defaults, parsed from text with errors that name the property. */
#ifndef KP_CONF_H
#define KP_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* compression.type values; equal to the codec id in a record batch's attributes. */
typedef enum kp_conf_compression {
    KP_CONF_COMPRESSION_NONE = 0,
    KP_CONF_COMPRESSION_GZIP = 1,
    KP_CONF_COMPRESSION_SNAPPY = 2,
    KP_CONF_COMPRESSION_LZ4 = 3,
    KP_CONF_COMPRESSION_ZSTD = 4,
} kp_conf_compression;

/* One field per property, named after it ('.' -> '_'). Strings are owned by
 * the kp_conf and NULL when unset. Read fields freely; change them only
 * through kp_conf_set so types, ranges and the "set explicitly" record stay
 * right. Values are final only after kp_conf_validate. */
typedef struct kp_conf {
    char *bootstrap_servers;                        /* bootstrap.servers (list), NULL = unset */
    char *client_id;                                /* client.id */
    int32_t acks;                                   /* acks: -1 (all), 0, 1 */
    int enable_idempotence;                         /* enable.idempotence */
    int32_t retries;                                /* retries */
    int64_t linger_ms;                              /* linger.ms */
    int32_t batch_size;                             /* batch.size */
    int64_t buffer_memory;                          /* buffer.memory */
    int64_t max_block_ms;                           /* max.block.ms */
    int32_t max_request_size;                       /* max.request.size */
    int32_t request_timeout_ms;                     /* request.timeout.ms */
    int32_t delivery_timeout_ms;                    /* delivery.timeout.ms */
    int32_t max_in_flight_requests_per_connection;  /* max.in.flight.requests.per.connection */
    int64_t retry_backoff_ms;                       /* retry.backoff.ms */
    int64_t retry_backoff_max_ms;                   /* retry.backoff.max.ms */
    int64_t reconnect_backoff_ms;                   /* reconnect.backoff.ms */
    int64_t reconnect_backoff_max_ms;               /* reconnect.backoff.max.ms */
    int64_t socket_connection_setup_timeout_ms;     /* socket.connection.setup.timeout.ms */
    int64_t socket_connection_setup_timeout_max_ms; /* socket.connection.setup.timeout.max.ms */
    int64_t connections_max_idle_ms;                /* connections.max.idle.ms, -1 = never */
    int64_t metadata_max_age_ms;                    /* metadata.max.age.ms */
    int64_t metadata_max_idle_ms;                   /* metadata.max.idle.ms */
    int32_t send_buffer_bytes;                      /* send.buffer.bytes, -1 = OS default */
    int32_t receive_buffer_bytes;                   /* receive.buffer.bytes, -1 = OS default */
    int compression_type;                           /* compression.type: kp_conf_compression */
    int32_t compression_gzip_level;                 /* compression.gzip.level, -1 = zlib default */
    int32_t compression_lz4_level;                  /* compression.lz4.level */
    int32_t compression_zstd_level;                 /* compression.zstd.level */
    int32_t compression_level;                      /* compression.level (librdkafka), -1 = unset */
    int partitioner_ignore_keys;                    /* partitioner.ignore.keys */
    int allow_auto_create_topics;                   /* allow.auto.create.topics */
    char *transactional_id;                         /* transactional.id: always NULL for now */
    int kprod_partitioner;                          /* kprod.partitioner: kp_partitioner_kind */
    int kprod_strict_ordering;                      /* kprod.strict.ordering */
    int32_t kprod_compression_threads;              /* kprod.compression.threads, -1 = auto */
    int32_t kprod_partition_backlog_batches;        /* kprod.partition.backlog.batches, -1 = auto */
    uint64_t user_set[2]; /* private: which properties kp_conf_set was given */
} kp_conf;

/* Returns a new configuration holding every default, or NULL when out of
 * memory. The caller owns it and releases it with kp_conf_free. */
kp_conf *kp_conf_new(void);

/* Frees the configuration and its strings; NULL is fine. */
void kp_conf_free(kp_conf *conf);

/* Returns a deep copy (values and the "set explicitly" record), owned by the
 * caller, or NULL when out of memory. */
kp_conf *kp_conf_dup(const kp_conf *conf);

/* Parses `value` for property `name` and stores it, remembering that the
 * user set it. Leading/trailing blanks are ignored. Integers are plain
 * decimal (durations are milliseconds, no units); booleans are true/false.
 * A NULL value restores the default and forgets that it was set.
 * Returns 0, or -1 with conf unchanged and errstr naming the property:
 * unknown name (with a "did you mean" when one is close), wrong type,
 * out of range, value not among the choices, malformed bootstrap.servers,
 * transactional.id (not supported yet), or out of memory. */
int kp_conf_set(kp_conf *conf, const char *name, const char *value, char *errstr, size_t errlen);

/* Applies one "key=value" line (the first '=' splits; blanks around key and
 * value are ignored). Blank lines and lines starting with '#' are accepted
 * and ignored, so a Java .properties file can be fed line by line.
 * Returns 0, or -1 with errstr set (a line without '=' or a kp_conf_set error). */
int kp_conf_set_line(kp_conf *conf, const char *line, char *errstr, size_t errlen);

/* Formats the current value of `name` into buf for printing (unset strings
 * print as "") and returns buf; returns NULL for an unknown name. Output
 * that does not fit is truncated. */
const char *kp_conf_get(const kp_conf *conf, const char *name, char *buf, size_t buflen);

/* 1 when kp_conf_set was given `name` (the Java "originals" test), 0 when
 * not, -1 for an unknown name. */
int kp_conf_is_set(const kp_conf *conf, const char *name);

/* Cross-checks properties the way the Java producer does and settles the
 * values it would adjust. Call once, after the last kp_conf_set.
 *  - delivery.timeout.ms < linger.ms + request.timeout.ms: error when set
 *    explicitly, otherwise raised to that sum.
 *  - enable.idempotence needs acks=all, retries > 0 and
 *    max.in.flight.requests.per.connection <= 5: error naming both properties
 *    when idempotence was set explicitly, otherwise idempotence is turned off.
 *  - compression.level (librdkafka) is applied to the chosen codec's level
 *    and range-checked for it (gzip 1..9, lz4 1..17, zstd -131072..22;
 *    -1 = codec default); it conflicts with a different explicit
 *    compression.<codec>.level.
 *  - reconnect.backoff.max.ms follows reconnect.backoff.ms when only the
 *    latter was set; a *.max.ms below its base is raised to the base.
 * Returns 0 with errstr holding "" or a note of what was adjusted (for the
 * caller to log), or -1 with errstr saying what conflicts. */
int kp_conf_validate(kp_conf *conf, char *errstr, size_t errlen);

/* The compression level the producer should use for the chosen codec after
 * kp_conf_validate: -1 for gzip means zlib's default; 0 for none/snappy. */
int32_t kp_conf_compression_level_for_codec(const kp_conf *conf);

/* Walks a bootstrap.servers list: parses the entry at *cursor ("host:port"
 * or "[ipv6]:port", blanks around it ignored) into host/port and moves
 * *cursor past it. Returns 1 for an entry, 0 at the end of the list, -1 with
 * errstr naming the bad entry. */
int kp_conf_next_broker(const char **cursor, char *host, size_t hostlen, int *port,
                        char *errstr, size_t errlen);

/* Prints every property as a Markdown table (name, default, range,
 * description) — the source of docs/CONFIGURATION.md. With a non-NULL conf a
 * "value" column shows that configuration's current values. */
void kp_conf_dump(const kp_conf *conf, FILE *out);

#endif
