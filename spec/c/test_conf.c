/* test_conf.c — kp_conf: Java defaults, parsing and its error messages, suggestions, cross-checks, dump. */
#include "kp_conf.h"
#include "kp_partitioner.h"
#include "kp_test.h"

#include <stdlib.h>

static char err[512];

/* Sets one property and expects failure with exactly `want` in errstr. */
#define CHECK_SET_FAILS(conf, name, value, want)                            \
    do {                                                                    \
        err[0] = '\0';                                                      \
        KP_CHECK_INT(kp_conf_set((conf), (name), (value), err, sizeof err), -1); \
        if (strcmp(err, (want)) != 0) {                                     \
            fprintf(stderr, "  got:  %s\n  want: %s\n", err, (want));       \
            KP_CHECK_STR(err, (want));                                      \
        }                                                                   \
    } while (0)

#define CHECK_SET(conf, name, value) KP_CHECK_INT(kp_conf_set((conf), (name), (value), err, sizeof err), 0)

static int contains(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }

static void test_defaults(void) {
    kp_conf *c = kp_conf_new();
    KP_CHECK(c != NULL);
    KP_CHECK_INT(c->linger_ms, 5);
    KP_CHECK_INT(c->batch_size, 16384);
    KP_CHECK_INT(c->buffer_memory, 33554432);
    KP_CHECK_INT(c->max_block_ms, 60000);
    KP_CHECK_INT(c->max_request_size, 1048576);
    KP_CHECK_INT(c->acks, -1);
    KP_CHECK_INT(c->enable_idempotence, 1);
    KP_CHECK_INT(c->retries, 2147483647);
    KP_CHECK_INT(c->retry_backoff_ms, 100);
    KP_CHECK_INT(c->retry_backoff_max_ms, 1000);
    KP_CHECK_INT(c->reconnect_backoff_ms, 50);
    KP_CHECK_INT(c->reconnect_backoff_max_ms, 1000);
    KP_CHECK_INT(c->request_timeout_ms, 30000);
    KP_CHECK_INT(c->delivery_timeout_ms, 120000);
    KP_CHECK_INT(c->max_in_flight_requests_per_connection, 5);
    KP_CHECK_INT(c->metadata_max_age_ms, 300000);
    KP_CHECK_INT(c->metadata_max_idle_ms, 300000);
    KP_CHECK_INT(c->socket_connection_setup_timeout_ms, 10000);
    KP_CHECK_INT(c->socket_connection_setup_timeout_max_ms, 30000);
    KP_CHECK_INT(c->connections_max_idle_ms, 540000);
    KP_CHECK_INT(c->send_buffer_bytes, 131072);
    KP_CHECK_INT(c->receive_buffer_bytes, 32768);
    KP_CHECK_INT(c->compression_type, KP_CONF_COMPRESSION_NONE);
    KP_CHECK_INT(c->compression_gzip_level, -1);
    KP_CHECK_INT(c->compression_lz4_level, 9);
    KP_CHECK_INT(c->compression_zstd_level, 3);
    KP_CHECK_INT(c->compression_level, -1);
    KP_CHECK_STR(c->client_id, "kprod");
    KP_CHECK(c->bootstrap_servers == NULL);
    KP_CHECK(c->transactional_id == NULL);
    KP_CHECK_INT(c->partitioner_ignore_keys, 0);
    KP_CHECK_INT(c->allow_auto_create_topics, 1);
    KP_CHECK_INT(c->kprod_partitioner, KP_PARTITIONER_DEFAULT);
    KP_CHECK_INT(c->kprod_strict_ordering, 0);
    KP_CHECK_INT(c->kprod_partition_backlog_batches, -1);
    KP_CHECK_INT(kp_conf_is_set(c, "linger.ms"), 0);
    KP_CHECK_INT(kp_conf_is_set(c, "linger.msx"), -1);

    strcpy(err, "stale");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_STR(err, ""); /* nothing adjusted */
    KP_CHECK_INT(c->enable_idempotence, 1);
    KP_CHECK_INT(c->delivery_timeout_ms, 120000);
    kp_conf_free(c);
}

static void test_parse_each_type(void) {
    kp_conf *c = kp_conf_new();
    char buf[64];
    CHECK_SET(c, "batch.size", "100");
    KP_CHECK_INT(c->batch_size, 100);
    CHECK_SET(c, "buffer.memory", " 10000000000 ");
    KP_CHECK_INT(c->buffer_memory, 10000000000LL);
    CHECK_SET(c, "linger.ms", "+7");
    KP_CHECK_INT(c->linger_ms, 7);
    CHECK_SET(c, "enable.idempotence", "FALSE");
    KP_CHECK_INT(c->enable_idempotence, 0);
    CHECK_SET(c, "partitioner.ignore.keys", "true");
    KP_CHECK_INT(c->partitioner_ignore_keys, 1);
    CHECK_SET(c, "kprod.strict.ordering", "true");
    KP_CHECK_INT(c->kprod_strict_ordering, 1);
    CHECK_SET(c, "kprod.partition.backlog.batches", "0");
    KP_CHECK_INT(c->kprod_partition_backlog_batches, 0);
    CHECK_SET(c, "acks", "1");
    KP_CHECK_INT(c->acks, 1);
    CHECK_SET(c, "acks", "-1");
    KP_CHECK_INT(c->acks, -1);
    KP_CHECK_STR(kp_conf_get(c, "acks", buf, sizeof buf), "all");
    CHECK_SET(c, "compression.type", "zstd");
    KP_CHECK_INT(c->compression_type, KP_CONF_COMPRESSION_ZSTD);
    CHECK_SET(c, "client.id", "orders-svc");
    KP_CHECK_STR(c->client_id, "orders-svc");
    CHECK_SET(c, "kprod.partitioner", "fnv1a_random");
    KP_CHECK_INT(c->kprod_partitioner, KP_PARTITIONER_FNV1A_RANDOM);
    KP_CHECK_STR(kp_conf_get(c, "kprod.partitioner", buf, sizeof buf), "fnv1a_random");
    CHECK_SET(c, "connections.max.idle.ms", "-1");
    CHECK_SET(c, "send.buffer.bytes", "-1");
    CHECK_SET(c, "compression.zstd.level", "-131072");
    CHECK_SET(c, "compression.gzip.level", "-1");

    KP_CHECK_STR(kp_conf_get(c, "buffer.memory", buf, sizeof buf), "10000000000");
    KP_CHECK_STR(kp_conf_get(c, "enable.idempotence", buf, sizeof buf), "false");
    KP_CHECK_STR(kp_conf_get(c, "compression.type", buf, sizeof buf), "zstd");
    KP_CHECK_STR(kp_conf_get(c, "bootstrap.servers", buf, sizeof buf), "");
    KP_CHECK(kp_conf_get(c, "no.such", buf, sizeof buf) == NULL);
    char tiny[4];
    KP_CHECK_STR(kp_conf_get(c, "client.id", tiny, sizeof tiny), "ord");
    KP_CHECK_INT(kp_conf_is_set(c, "batch.size"), 1);
    KP_CHECK_INT(kp_conf_is_set(c, "max.block.ms"), 0);
    kp_conf_free(c);
}

static void test_type_errors(void) {
    kp_conf *c = kp_conf_new();
    static const struct { const char *name, *value, *want; } cases[] = {
        {"linger.ms", "abc", "property 'linger.ms' expects an integer, got 'abc'"},
        {"linger.ms", "5ms", "property 'linger.ms' expects an integer, got '5ms' (durations are plain milliseconds)"},
        {"batch.size", "16k", "property 'batch.size' expects an integer, got '16k'"},
        {"batch.size", "", "property 'batch.size' expects an integer, got ''"},
        {"batch.size", "0x10", "property 'batch.size' expects an integer, got '0x10'"},
        {"batch.size", "1 2", "property 'batch.size' expects an integer, got '1 2'"},
        {"enable.idempotence", "yes", "property 'enable.idempotence' expects true or false, got 'yes'"},
        {"acks", "2", "property 'acks' must be one of all, -1, 0, 1; got '2'"},
        {"compression.type", "GZIP",
         "property 'compression.type' must be one of none, gzip, snappy, lz4, zstd; got 'GZIP'"},
        {"compression.type", "brotli",
         "property 'compression.type' must be one of none, gzip, snappy, lz4, zstd; got 'brotli'"},
        {"kprod.partitioner", "sticky",
         "property 'kprod.partitioner' must be one of default, murmur2, murmur2_random, consistent, consistent_random, fnv1a, fnv1a_random, random, round_robin; got 'sticky'"},
        {"transactional.id", "tx-1",
         "property 'transactional.id' is not supported yet: kprod has no transactions; remove it"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_SET_FAILS(c, cases[i].name, cases[i].value, cases[i].want);
    KP_CHECK(c->transactional_id == NULL);
    KP_CHECK_INT(c->linger_ms, 5); /* failures leave the value alone ... */
    KP_CHECK_INT(c->acks, -1);
    KP_CHECK_INT(kp_conf_is_set(c, "linger.ms"), 0); /* ... and unmarked */
    KP_CHECK_INT(kp_conf_set(c, "linger.ms", "x", NULL, 0), -1); /* no errstr is fine */
    kp_conf_free(c);
}

static void test_range_errors(void) {
    kp_conf *c = kp_conf_new();
    static const struct { const char *name, *value, *want; } cases[] = {
        {"batch.size", "-1", "property 'batch.size' must be between 0 and 2147483647, got -1"},
        {"batch.size", "2147483648", "property 'batch.size' must be between 0 and 2147483647, got 2147483648"},
        {"linger.ms", "-1", "property 'linger.ms' must be at least 0, got -1"},
        {"linger.ms", "99999999999999999999", "property 'linger.ms' must be at least 0, got 99999999999999999999"},
        {"max.in.flight.requests.per.connection", "0",
         "property 'max.in.flight.requests.per.connection' must be between 1 and 2147483647, got 0"},
        {"metadata.max.idle.ms", "4999", "property 'metadata.max.idle.ms' must be at least 5000, got 4999"},
        {"send.buffer.bytes", "-2", "property 'send.buffer.bytes' must be between -1 and 2147483647, got -2"},
        {"compression.gzip.level", "0",
         "property 'compression.gzip.level' must be between 1 and 9 (or -1 for the codec default), got 0"},
        {"compression.gzip.level", "10",
         "property 'compression.gzip.level' must be between 1 and 9 (or -1 for the codec default), got 10"},
        {"kprod.partition.backlog.batches", "-2",
         "property 'kprod.partition.backlog.batches' must be between 0 and 1000000 (or -1 for the default), got -2"},
        {"compression.lz4.level", "0", "property 'compression.lz4.level' must be between 1 and 17, got 0"},
        {"compression.lz4.level", "18", "property 'compression.lz4.level' must be between 1 and 17, got 18"},
        {"compression.zstd.level", "23", "property 'compression.zstd.level' must be between -131072 and 22, got 23"},
        {"compression.zstd.level", "-131073",
         "property 'compression.zstd.level' must be between -131072 and 22, got -131073"},
        {"compression.level", "-2", "property 'compression.level' must be between -1 and 22, got -2"},
        {"retries", "-1", "property 'retries' must be between 0 and 2147483647, got -1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_SET_FAILS(c, cases[i].name, cases[i].value, cases[i].want);
    CHECK_SET(c, "retries", "0");
    CHECK_SET(c, "compression.lz4.level", "17");
    CHECK_SET(c, "compression.zstd.level", "22");
    kp_conf_free(c);
}

static void test_unknown_and_suggestions(void) {
    kp_conf *c = kp_conf_new();
    static const struct { const char *name, *value, *want; } cases[] = {
        {"linger.msx", "5", "unknown property 'linger.msx'; did you mean 'linger.ms'?"},
        {"LINGER_MS", "5", "unknown property 'LINGER_MS'; did you mean 'linger.ms'?"},
        {"bach.size", "5", "unknown property 'bach.size'; did you mean 'batch.size'?"},
        {"ack", "1", "unknown property 'ack'; did you mean 'acks'?"},
        {"compression.codec", "gzip", "unknown property 'compression.codec'"},
        {"queue.buffering.max.ms", "5", "unknown property 'queue.buffering.max.ms'"},
        {"", "5", "unknown property ''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_SET_FAILS(c, cases[i].name, cases[i].value, cases[i].want);
    kp_conf_free(c);
}

static void test_set_line_and_reset(void) {
    kp_conf *c = kp_conf_new();
    KP_CHECK_INT(kp_conf_set_line(c, "  linger.ms = 10 \n", err, sizeof err), 0);
    KP_CHECK_INT(c->linger_ms, 10);
    KP_CHECK_INT(kp_conf_set_line(c, "client.id=a=b", err, sizeof err), 0);
    KP_CHECK_STR(c->client_id, "a=b");
    KP_CHECK_INT(kp_conf_set_line(c, "# a comment", err, sizeof err), 0);
    KP_CHECK_INT(kp_conf_set_line(c, "   ", err, sizeof err), 0);
    KP_CHECK_INT(kp_conf_set_line(c, "linger.ms", err, sizeof err), -1);
    KP_CHECK_STR(err, "expected key=value, got 'linger.ms'");
    KP_CHECK_INT(kp_conf_set_line(c, "=5", err, sizeof err), -1);
    KP_CHECK(contains(err, "no key"));
    KP_CHECK_INT(kp_conf_set_line(c, "linger.ms=abc", err, sizeof err), -1);
    KP_CHECK_STR(err, "property 'linger.ms' expects an integer, got 'abc'");
    KP_CHECK_INT(kp_conf_set_line(c, "batch.sise=1", err, sizeof err), -1);
    KP_CHECK_STR(err, "unknown property 'batch.sise'; did you mean 'batch.size'?");

    /* NULL value: back to the default and no longer "set" */
    KP_CHECK_INT(kp_conf_is_set(c, "linger.ms"), 1);
    CHECK_SET(c, "linger.ms", NULL);
    KP_CHECK_INT(c->linger_ms, 5);
    KP_CHECK_INT(kp_conf_is_set(c, "linger.ms"), 0);
    CHECK_SET(c, "client.id", NULL);
    KP_CHECK_STR(c->client_id, "kprod");
    CHECK_SET(c, "bootstrap.servers", "a:1");
    CHECK_SET(c, "bootstrap.servers", NULL);
    KP_CHECK(c->bootstrap_servers == NULL);
    kp_conf_free(c);
}

static void test_bootstrap_servers(void) {
    kp_conf *c = kp_conf_new();
    CHECK_SET(c, "bootstrap.servers", "PLAINTEXT://[::2]:1,plaintext://x_y:2");
    const char *cur = c->bootstrap_servers;
    char host[256];
    int port;
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "::2");
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "x_y");
    KP_CHECK_INT(port, 2);

    CHECK_SET(c, "bootstrap.servers", " b1.example.com:9092, 10.0.0.2:19092 ,[::1]:9093,[fe80::1%eth0]:9094");

    cur = c->bootstrap_servers;
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "b1.example.com");
    KP_CHECK_INT(port, 9092);
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "10.0.0.2");
    KP_CHECK_INT(port, 19092);
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "::1");
    KP_CHECK_INT(port, 9093);
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 1);
    KP_CHECK_STR(host, "fe80::1%eth0");
    KP_CHECK_INT(port, 9094);
    KP_CHECK_INT(kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err), 0);
    char small[4];
    cur = "longhost:1";
    KP_CHECK_INT(kp_conf_next_broker(&cur, small, sizeof small, &port, err, sizeof err), -1);

    static const struct { const char *value, *want; } bad[] = {
        {"localhost", "property 'bootstrap.servers' has an entry 'localhost' without a port (expected host:port)"},
        {"a:0", "property 'bootstrap.servers' entry 'a:0' needs a port between 1 and 65535"},
        {"a:65536", "property 'bootstrap.servers' entry 'a:65536' needs a port between 1 and 65535"},
        {"a:http", "property 'bootstrap.servers' entry 'a:http' needs a port between 1 and 65535"},
        {"a:1,", "property 'bootstrap.servers' ends with ','"},
        {",a:1", "property 'bootstrap.servers' has an empty entry"},
        {"a:1,,b:2", "property 'bootstrap.servers' has an empty entry"},
        {"", "property 'bootstrap.servers' needs at least one host:port"},
        {"::1:9092", "property 'bootstrap.servers' entry '::1:9092': put IPv6 addresses in brackets, e.g. [::1]:9092"},
        {"[::1]", "property 'bootstrap.servers' has a bad entry '[::1]' (expected [ipv6]:port)"},
        {"[::1]9092", "property 'bootstrap.servers' has a bad entry '[::1]9092' (expected [ipv6]:port)"},
        {":9092", "property 'bootstrap.servers' entry ':9092' has no host"},
        {"a b:1", "property 'bootstrap.servers' entry 'a b:1' has a bad host character ' '"},
        {"SSL://a:1", "property 'bootstrap.servers' entry 'SSL://a:1': only plaintext connections are supported"},
        {"PLAINTEXT://", "property 'bootstrap.servers' has an entry 'PLAINTEXT://' without a port (expected host:port)"},
        {"x://a:1", "property 'bootstrap.servers' entry 'x://a:1': only plaintext connections are supported"},
        {"a:1,b:2,A:1", "property 'bootstrap.servers' lists A:1 twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_SET_FAILS(c, "bootstrap.servers", bad[i].value, bad[i].want);
    KP_CHECK(contains(c->bootstrap_servers, "b1.example.com")); /* unchanged by the failures */
    kp_conf_free(c);
}

static void test_delivery_timeout(void) {
    kp_conf *c = kp_conf_new(); /* explicit and too small: error, like Java */
    CHECK_SET(c, "delivery.timeout.ms", "1000");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), -1);
    KP_CHECK_STR(err, "delivery.timeout.ms=1000 must be at least linger.ms + request.timeout.ms (5 + 30000 = 30005)");
    kp_conf_free(c);

    c = kp_conf_new(); /* not set: raised to the sum */
    CHECK_SET(c, "request.timeout.ms", "200000");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->delivery_timeout_ms, 200005);
    KP_CHECK(contains(err, "delivery.timeout.ms raised"));
    kp_conf_free(c);

    c = kp_conf_new(); /* the sum saturates at INT32_MAX like Java's */
    CHECK_SET(c, "linger.ms", "9999999999");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->delivery_timeout_ms, 2147483647);
    kp_conf_free(c);

    c = kp_conf_new(); /* explicit and large enough: fine */
    CHECK_SET(c, "delivery.timeout.ms", "30005");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_STR(err, "");
    kp_conf_free(c);
}

static void test_idempotence_auto_disable(void) {
    static const struct { const char *name, *value, *why; } conflicts[] = {
        {"acks", "1", "acks=1"},
        {"acks", "0", "acks=0"},
        {"retries", "0", "retries=0"},
        {"max.in.flight.requests.per.connection", "6", "max.in.flight.requests.per.connection=6"},
    };
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
        kp_conf *c = kp_conf_new();
        CHECK_SET(c, conflicts[i].name, conflicts[i].value);
        KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
        KP_CHECK_INT(c->enable_idempotence, 0);
        KP_CHECK(contains(err, "enable.idempotence turned off"));
        KP_CHECK(contains(err, conflicts[i].why));
        kp_conf_free(c);
    }
    kp_conf *c = kp_conf_new(); /* acks=all set explicitly keeps it on */
    CHECK_SET(c, "acks", "all");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->enable_idempotence, 1);
    kp_conf_free(c);
}

static void test_idempotence_explicit_errors(void) {
    static const struct { const char *name, *value, *want; } conflicts[] = {
        {"acks", "1", "enable.idempotence=true requires acks=all, got acks=1 (or set enable.idempotence=false)"},
        {"retries", "0", "enable.idempotence=true requires retries > 0, got retries=0 (or set enable.idempotence=false)"},
        {"max.in.flight.requests.per.connection", "6",
         "enable.idempotence=true requires max.in.flight.requests.per.connection <= 5, got 6 "
         "(or set enable.idempotence=false)"},
    };
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
        kp_conf *c = kp_conf_new();
        CHECK_SET(c, "enable.idempotence", "true");
        CHECK_SET(c, conflicts[i].name, conflicts[i].value);
        KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), -1);
        KP_CHECK_STR(err, conflicts[i].want);
        kp_conf_free(c);
    }
    kp_conf *c = kp_conf_new(); /* explicitly off: no conflict to report */
    CHECK_SET(c, "enable.idempotence", "false");
    CHECK_SET(c, "acks", "1");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_STR(err, "");
    kp_conf_free(c);
}

static void test_compression_levels(void) {
    kp_conf *c = kp_conf_new();
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), 0); /* none */
    CHECK_SET(c, "compression.type", "gzip");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), -1); /* zlib default */
    kp_conf_free(c);

    c = kp_conf_new(); /* librdkafka's compression.level goes to the chosen codec */
    CHECK_SET(c, "compression.type", "gzip");
    CHECK_SET(c, "compression.level", "4");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->compression_gzip_level, 4);
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), 4);
    kp_conf_free(c);

    c = kp_conf_new();
    CHECK_SET(c, "compression.type", "gzip");
    CHECK_SET(c, "compression.level", "12");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), -1);
    KP_CHECK_STR(err, "compression.level=12 is out of range for compression.type=gzip: must be between 1 and 9 "
                      "(-1 for the codec default)");
    CHECK_SET(c, "compression.type", "lz4");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), 12);
    CHECK_SET(c, "compression.type", "zstd");
    CHECK_SET(c, "compression.level", "0");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0); /* zstd's 0 = its default, valid in Java */
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), 0);
    kp_conf_free(c);

    c = kp_conf_new(); /* both spellings set differently: refuse to guess */
    CHECK_SET(c, "compression.type", "lz4");
    CHECK_SET(c, "compression.lz4.level", "6");
    CHECK_SET(c, "compression.level", "4");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), -1);
    KP_CHECK_STR(err, "compression.level=4 conflicts with compression.lz4.level=6; set only one");
    CHECK_SET(c, "compression.level", "6");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    kp_conf_free(c);

    c = kp_conf_new(); /* snappy has no level: ignored, like Java */
    CHECK_SET(c, "compression.type", "snappy");
    CHECK_SET(c, "compression.level", "22");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(kp_conf_compression_level_for_codec(c), 0);
    kp_conf_free(c);
}

static void test_backoff_ceilings(void) {
    kp_conf *c = kp_conf_new();
    CHECK_SET(c, "reconnect.backoff.ms", "2000"); /* max follows when only the base is set */
    CHECK_SET(c, "retry.backoff.ms", "5000");     /* above its max: static backoff */
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->reconnect_backoff_max_ms, 2000);
    KP_CHECK_INT(c->retry_backoff_max_ms, 5000);
    KP_CHECK(contains(err, "retry.backoff.max.ms raised"));
    KP_CHECK(!contains(err, "reconnect"));
    kp_conf_free(c);

    c = kp_conf_new();
    CHECK_SET(c, "reconnect.backoff.ms", "10");
    CHECK_SET(c, "reconnect.backoff.max.ms", "5000");
    KP_CHECK_INT(kp_conf_validate(c, err, sizeof err), 0);
    KP_CHECK_INT(c->reconnect_backoff_max_ms, 5000);
    kp_conf_free(c);
}

static void test_dup(void) {
    kp_conf *c = kp_conf_new();
    CHECK_SET(c, "bootstrap.servers", "a:1");
    CHECK_SET(c, "linger.ms", "20");
    kp_conf *d = kp_conf_dup(c);
    KP_CHECK(d != NULL);
    KP_CHECK(d->client_id != c->client_id);
    KP_CHECK_STR(d->bootstrap_servers, "a:1");
    KP_CHECK_INT(d->linger_ms, 20);
    KP_CHECK_INT(kp_conf_is_set(d, "linger.ms"), 1);
    CHECK_SET(c, "bootstrap.servers", "b:2");
    KP_CHECK_STR(d->bootstrap_servers, "a:1");
    kp_conf_free(c);
    KP_CHECK_STR(d->client_id, "kprod");
    kp_conf_free(d);
    kp_conf_free(NULL);
}

/* Every table row's default column must read back through kp_conf_get. */
static void test_dump(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    kp_conf_dump(NULL, f);
    fclose(f);
    KP_CHECK(strncmp(text, "| Property | Default | Range | Description |\n|---|---|---|---|\n", 63) == 0);
    KP_CHECK(contains(text, "| `linger.ms` | `5` | >= 0 |"));
    KP_CHECK(contains(text, "| `batch.size` | `16384` | 0 .. 2147483647 |"));
    KP_CHECK(contains(text, "| `acks` | `all` | all, -1, 0, 1 |"));
    KP_CHECK(contains(text, "| `compression.gzip.level` | `-1` | -1 or 1 .. 9 |"));
    KP_CHECK(contains(text, "| `bootstrap.servers` | *unset* | host:port, ... |"));

    kp_conf *c = kp_conf_new();
    int rows = 0, mismatches = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128], def[128], buf[128];
        if (sscanf(line, "| `%127[^`]` | `%127[^`]` |", name, def) != 2) {
            if (sscanf(line, "| `%127[^`]` | *unset* |", name) == 1) rows++;
            continue;
        }
        rows++;
        const char *got = kp_conf_get(c, name, buf, sizeof buf);
        if (!got || strcmp(got, def) != 0) {
            fprintf(stderr, "  %s: default %s reads back as %s\n", name, def, got ? got : "(unknown)");
            mismatches++;
        }
    }
    KP_CHECK_INT(rows, 36);
    KP_CHECK_INT(mismatches, 0);
    free(text);

    CHECK_SET(c, "linger.ms", "50");
    f = open_memstream(&text, &len);
    kp_conf_dump(c, f);
    fclose(f);
    KP_CHECK(contains(text, "| Property | Default | Value | Range | Description |"));
    KP_CHECK(contains(text, "| `linger.ms` | `5` | `50` | >= 0 |"));
    free(text);
    kp_conf_free(c);
}

int main(void) {
    KP_RUN(test_defaults);
    KP_RUN(test_parse_each_type);
    KP_RUN(test_type_errors);
    KP_RUN(test_range_errors);
    KP_RUN(test_unknown_and_suggestions);
    KP_RUN(test_set_line_and_reset);
    KP_RUN(test_bootstrap_servers);
    KP_RUN(test_delivery_timeout);
    KP_RUN(test_idempotence_auto_disable);
    KP_RUN(test_idempotence_explicit_errors);
    KP_RUN(test_compression_levels);
    KP_RUN(test_backoff_ceilings);
    KP_RUN(test_dup);
    KP_RUN(test_dump);
    return kp_test_report();
}
