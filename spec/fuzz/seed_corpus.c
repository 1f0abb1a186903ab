/* seed_corpus.c — writes the fuzzers' seed corpus: small valid inputs for
 * every target in spec/fuzz, each version of each response and every codec,
 * assembled from the protocol guide on kp_buf's writers and kprod's batch and
 * compression code. Files are DIR/<target>/seed-<what>; others are left alone.
 *
 * usage: kprod_fuzz_seeds DIR   (scripts/fuzz --seeds runs it on spec/fuzz/corpus) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "kp_batch.h"
#include "kp_compress.h"

static const char *out_dir;
static int written, failed;

/* ---- output ---- */

static void save(const char *target, const char *name, const kp_buf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0755) && errno != EEXIST) {
        fprintf(stderr, "kprod_fuzz_seeds: mkdir %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    snprintf(path, sizeof path, "%s/%s/seed-%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f)) {
        fprintf(stderr, "kprod_fuzz_seeds: cannot write %s\n", path);
        failed++;
        return;
    }
    written++;
}

static void save_text(const char *target, const char *name, const char *text) {
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_write(&b, text, strlen(text));
    save(target, name, &b);
    kp_buf_free(&b);
}

/* ---- response bodies, one shape per API, fields as the guide lists them ---- */

static void w_str(kp_buf *b, int flex, const char *s) {
    kp_buf_str(b, flex, s, s ? (int32_t)strlen(s) : -1);
}

static void w_tags(kp_buf *b, int flex) {
    if (flex) kp_buf_no_tags(b);
}

/* A tagged-field section holding one field whose bytes are `field`. */
static void w_one_tag(kp_buf *b, uint64_t tag, const kp_buf *field) {
    kp_buf_uvarint(b, 1);
    kp_buf_uvarint(b, tag);
    kp_buf_uvarint(b, field->len);
    kp_buf_write(b, field->data, field->len);
}

typedef struct broker {
    int32_t node_id;
    const char *host, *rack;
} broker;

static const broker cluster[] = {
    {1, "kafka-1.eu-west-1.internal", "eu-west-1a"},
    {2, "kafka-2.eu-west-1.internal", "eu-west-1b"},
    {3, "kafka-3.eu-west-1.internal", NULL},
};

static void w_node(kp_buf *b, int flex, const broker *n) {
    kp_buf_i32(b, n->node_id);
    w_str(b, flex, n->host);
    kp_buf_i32(b, 9092);
    w_str(b, flex, n->rack);
    w_tags(b, flex);
}

/* ApiVersions as a Kafka 3.7 broker lists the APIs a producer cares about. */
static const int16_t broker_apis[][3] = {
    {0, 0, 10}, {1, 0, 16},  {2, 0, 8},  {3, 0, 12}, {8, 0, 9},   {10, 0, 4}, {18, 0, 3},
    {19, 0, 7}, {22, 0, 4},  {24, 0, 4}, {25, 0, 3}, {26, 0, 3},  {28, 0, 3}, {60, 0, 0},
};

static void api_versions_body(kp_buf *b, int16_t v, int16_t error_code, int16_t max_api_versions) {
    int flex = v >= 3;
    int32_t n = (int32_t)(sizeof broker_apis / sizeof *broker_apis);
    kp_buf_i16(b, error_code);
    kp_buf_array_len(b, flex, n);
    for (int32_t i = 0; i < n; i++) {
        kp_buf_i16(b, broker_apis[i][0]);
        kp_buf_i16(b, broker_apis[i][1]);
        int is_api_versions = broker_apis[i][0] == KP_API_API_VERSIONS;
        kp_buf_i16(b, is_api_versions ? max_api_versions : broker_apis[i][2]);
        w_tags(b, flex);
    }
    if (v >= 1) kp_buf_i32(b, 0); /* throttle_time_ms */
    if (!flex) return;
    kp_buf epoch; /* FinalizedFeaturesEpoch (tag 1) */
    kp_buf_init(&epoch, 8);
    kp_buf_i64(&epoch, 42);
    w_one_tag(b, 1, &epoch);
    kp_buf_free(&epoch);
}

static const uint8_t orders_topic_id[16] = {0x3d, 0x8f, 0x1a, 0x52, 0x9c, 0x0e, 0x4b, 0x7e,
                                             0xa1, 0x2f, 0x66, 0xd0, 0x93, 0x5b, 0x18, 0xc4};

static void w_ids(kp_buf *b, int flex, int32_t first, int32_t n) {
    kp_buf_array_len(b, flex, n);
    for (int32_t i = 0; i < n; i++) kp_buf_i32(b, 1 + (first + i) % 3);
}

static void metadata_topic(kp_buf *b, int16_t v, int16_t error_code, const char *name,
                           const uint8_t *topic_id, int32_t partitions) {
    int flex = v >= 9;
    kp_buf_i16(b, error_code);
    w_str(b, flex, name);
    if (v >= 10) kp_buf_write(b, topic_id, 16);
    kp_buf_i8(b, 0); /* is_internal */
    kp_buf_array_len(b, flex, partitions);
    for (int32_t p = 0; p < partitions; p++) {
        kp_buf_i16(b, 0);
        kp_buf_i32(b, p);
        kp_buf_i32(b, 1 + p % 3); /* leader_id */
        if (v >= 7) kp_buf_i32(b, 4);
        w_ids(b, flex, p, 3); /* replica_nodes */
        w_ids(b, flex, p, 2); /* isr_nodes: one replica lagging */
        if (v >= 5) w_ids(b, flex, p, 0);
        w_tags(b, flex);
    }
    if (v >= 8) kp_buf_i32(b, INT32_MIN); /* topic_authorized_operations: not asked for */
    w_tags(b, flex);
}

static void metadata_body(kp_buf *b, int16_t v) {
    int flex = v >= 9;
    if (v >= 3) kp_buf_i32(b, 0);
    kp_buf_array_len(b, flex, 3);
    for (int i = 0; i < 3; i++) w_node(b, flex, &cluster[i]);
    if (v >= 2) w_str(b, flex, "MkU3OEVBNTcwNTJENDM2Qg");
    kp_buf_i32(b, 2); /* controller_id */
    kp_buf_array_len(b, flex, 2);
    metadata_topic(b, v, 0, "orders", orders_topic_id, 3);
    static const uint8_t no_id[16] = {0};
    metadata_topic(b, v, 3, "orders-typo", no_id, 0); /* UNKNOWN_TOPIC_OR_PARTITION */
    if (v >= 8 && v <= 10) kp_buf_i32(b, INT32_MIN);
    w_tags(b, flex);
}

/* Partition 0 took the batch; partition 1 moved: NOT_LEADER_OR_FOLLOWER,
 * with the new leader in v10's tagged fields. */
static void produce_partition(kp_buf *b, int16_t v, int32_t index) {
    int flex = v >= 9;
    kp_buf_i32(b, index);
    kp_buf_i16(b, index ? 6 : 0);
    kp_buf_i64(b, index ? -1 : 1234567);
    kp_buf_i64(b, -1); /* log_append_time_ms */
    if (v >= 5) kp_buf_i64(b, index ? -1 : 1000);
    if (v >= 8) {
        kp_buf_array_len(b, flex, 0); /* record_errors */
        w_str(b, flex, index ? "This server is not the leader for that topic-partition." : NULL);
    }
    if (v < 10 || !index) {
        w_tags(b, flex);
        return;
    }
    kp_buf leader; /* CurrentLeader (tag 0) */
    kp_buf_init(&leader, 16);
    kp_buf_i32(&leader, 2);
    kp_buf_i32(&leader, 5);
    w_tags(&leader, 1);
    w_one_tag(b, 0, &leader);
    kp_buf_free(&leader);
}

static void produce_body(kp_buf *b, int16_t v) {
    int flex = v >= 9;
    kp_buf_array_len(b, flex, 1);
    w_str(b, flex, "orders");
    kp_buf_array_len(b, flex, 2);
    produce_partition(b, v, 0);
    produce_partition(b, v, 1);
    w_tags(b, flex);
    kp_buf_i32(b, 0); /* throttle_time_ms */
    if (v < 10) {
        w_tags(b, flex);
        return;
    }
    kp_buf endpoints; /* NodeEndpoints (tag 0): where partition 1 went */
    kp_buf_init(&endpoints, 64);
    kp_buf_array_len(&endpoints, 1, 1);
    w_node(&endpoints, 1, &cluster[1]);
    w_one_tag(b, 0, &endpoints);
    kp_buf_free(&endpoints);
}

static void init_producer_id_body(kp_buf *b, int16_t v) {
    kp_buf_i32(b, 0);
    kp_buf_i16(b, 0);
    kp_buf_i64(b, 4001);
    kp_buf_i16(b, 0);
    w_tags(b, v >= 2);
}

/* The successful answer of api_key at version v. */
static void response_body(kp_buf *b, int16_t api_key, int16_t v) {
    switch (api_key) {
    case KP_API_PRODUCE: produce_body(b, v); break;
    case KP_API_METADATA: metadata_body(b, v); break;
    case KP_API_API_VERSIONS: api_versions_body(b, v, 0, 3); break;
    default: init_producer_id_body(b, v); break;
    }
}

static const struct {
    int16_t api_key;
    const char *target;
} apis[] = {
    {KP_API_PRODUCE, "produce"},
    {KP_API_METADATA, "metadata"},
    {KP_API_API_VERSIONS, "api_versions"},
    {KP_API_INIT_PRODUCER_ID, "init_producer_id"},
};

/* What selects version v of api_key in a fuzz input (fuzz_version). */
static uint8_t version_selector(int16_t api_key, int16_t v) {
    int16_t lo, hi;
    kp_proto_version_range(api_key, &lo, &hi);
    return (uint8_t)(v - lo);
}

/* Every version of every response, first byte selecting the version. */
static void decoder_seeds(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    char name[32];
    for (size_t i = 0; i < sizeof apis / sizeof *apis; i++) {
        int16_t lo, hi;
        kp_proto_version_range(apis[i].api_key, &lo, &hi);
        for (int16_t v = lo; v <= hi; v++) {
            kp_buf_reset(&b);
            kp_buf_i8(&b, (int8_t)version_selector(apis[i].api_key, v));
            response_body(&b, apis[i].api_key, v);
            snprintf(name, sizeof name, "v%02d", v);
            save(apis[i].target, name, &b);
        }
    }
    /* A broker refusing ApiVersions v3 as Kafka does (error 35, v0 body that
     * says it speaks up to v2), and as librdkafka's mock does (no body). */
    kp_buf_reset(&b);
    kp_buf_i8(&b, 3);
    api_versions_body(&b, 0, 35, 2);
    save("api_versions", "v03-refused-v0-body", &b);
    kp_buf_reset(&b);
    kp_buf_i8(&b, 3);
    kp_buf_i16(&b, 35);
    save("api_versions", "v03-refused-no-body", &b);
    kp_buf_free(&b);
}

/* ---- response headers and whole frames ---- */

static void w_frame(kp_buf *b, int16_t api_key, int16_t v, int32_t correlation_id) {
    size_t size_at = kp_buf_placeholder(b, 4);
    kp_buf_i32(b, correlation_id);
    w_tags(b, kp_proto_response_flexible(api_key, v) > 0);
    response_body(b, api_key, v);
    kp_buf_patch_i32(b, size_at, (int32_t)(b->len - size_at - 4));
}

/* The byte fuzz_pick_api reads as api_key at version v. */
static uint8_t api_selector(int16_t api_key, int16_t v) {
    for (uint8_t i = 0; i < sizeof fuzz_apis / sizeof *fuzz_apis; i++)
        if (fuzz_apis[i] == api_key) return (uint8_t)(i | version_selector(api_key, v) << 3);
    return 0;
}

static void header_seeds(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    static const struct {
        int16_t api_key, v;
        const char *name;
    } cases[] = {
        {KP_API_PRODUCE, 3, "produce-v3"},
        {KP_API_METADATA, 12, "metadata-v12"},
        {KP_API_API_VERSIONS, 3, "api-versions-v3-header-v0"},
        {KP_API_INIT_PRODUCER_ID, 4, "init-producer-id-v4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kp_buf_reset(&b);
        kp_buf_i8(&b, (int8_t)api_selector(cases[i].api_key, cases[i].v));
        kp_buf_i32(&b, 7 + (int32_t)i);
        w_tags(&b, kp_proto_response_flexible(cases[i].api_key, cases[i].v) > 0);
        save("response_header", cases[i].name, &b);
    }
    kp_buf_free(&b);
}

/* fuzz_conn input: flags, write size, request selectors, then frames. */

static void conn_prefix(kp_buf *b, uint8_t flags, uint8_t write_size, const uint8_t *specs, int n) {
    kp_buf_reset(b);
    kp_buf_i8(b, (int8_t)(flags | (n - 1) << 3));
    kp_buf_i8(b, (int8_t)write_size);
    kp_buf_write(b, specs, (size_t)n);
}

typedef struct request {
    int16_t api_key, v;
    int no_acks;
} request;

/* A READY connection with reqs in flight (ids 1..n) and their answers. */
static void ready_seed(kp_buf *b, const char *name, uint8_t flags, uint8_t write_size,
                       const request *reqs, int n) {
    uint8_t specs[4];
    for (int i = 0; i < n; i++)
        specs[i] = (uint8_t)(api_selector(reqs[i].api_key, reqs[i].v) |
                             (reqs[i].no_acks ? FUZZ_CONN_NO_ACKS : 0));
    conn_prefix(b, flags, write_size, specs, n);
    for (int i = 0; i < n; i++)
        if (!reqs[i].no_acks) w_frame(b, reqs[i].api_key, reqs[i].v, 1 + i);
    save("conn", name, b);
}

static void conn_seeds(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    static const request metadata[] = {{KP_API_METADATA, 12, 0}};
    static const request four[] = {{KP_API_PRODUCE, 9, 0}, {KP_API_METADATA, 1, 0},
                                   {KP_API_API_VERSIONS, 3, 0}, {KP_API_INIT_PRODUCER_ID, 4, 0}};
    /* acks=0 gets no response: the first frame answers the Metadata request. */
    static const request no_acks[] = {{KP_API_PRODUCE, 3, 1}, {KP_API_METADATA, 9, 0}};
    ready_seed(&b, "ready-metadata-v12", 0, 0, metadata, 1);
    ready_seed(&b, "ready-four-apis-peer-closes", FUZZ_CONN_PEER_CLOSES, 0, four, 4);
    ready_seed(&b, "ready-four-apis-8-byte-writes-timeouts", FUZZ_CONN_CHECK_TIMEOUTS, 3, four, 4);
    ready_seed(&b, "ready-acks0-then-metadata", 0, 0, no_acks, 2);

    /* Negotiation: ApiVersions v3 (id 1), then the requests at the versions
     * both sides speak (Metadata v12, Produce v10). */
    uint8_t two[] = {api_selector(KP_API_METADATA, 1), api_selector(KP_API_PRODUCE, 3)};
    conn_prefix(&b, FUZZ_CONN_NEGOTIATE, 0, two, 2);
    w_frame(&b, KP_API_API_VERSIONS, 3, 1);
    w_frame(&b, KP_API_METADATA, 12, 2);
    w_frame(&b, KP_API_PRODUCE, 10, 3);
    save("conn", "negotiate-v3", &b);

    /* Refused at v3 with a v0 body saying v2: retried at v2 (id 2). */
    uint8_t pid[] = {api_selector(KP_API_INIT_PRODUCER_ID, 0)};
    conn_prefix(&b, FUZZ_CONN_NEGOTIATE, 0, pid, 1);
    size_t size_at = kp_buf_placeholder(&b, 4);
    kp_buf_i32(&b, 1);
    api_versions_body(&b, 0, 35, 2);
    kp_buf_patch_i32(&b, size_at, (int32_t)(b.len - size_at - 4));
    w_frame(&b, KP_API_API_VERSIONS, 2, 2);
    w_frame(&b, KP_API_INIT_PRODUCER_ID, 4, 3);
    save("conn", "negotiate-refused-then-v2", &b);
    kp_buf_free(&b);
}

/* ---- record batches and codecs ---- */

static kp_compressor *cz;

/* Three order events the way a service would produce them. */
static void fill_batch(kp_batch_builder *bb, int nulls) {
    static const kp_header headers[] = {
        {"trace-id", 8, "4bf92f3577b34da6a3ce929d0e0e4736", 32},
        {"content-type", 12, "application/json", 16},
        {"retry", 5, NULL, -1},
    };
    char key[32], value[128];
    for (int i = 0; i < 3; i++) {
        int kl = snprintf(key, sizeof key, "customer-%d", 1040 + i);
        int vl = snprintf(value, sizeof value,
                          "{\"order_id\":%d,\"amount\":%d.99,\"currency\":\"EUR\",\"items\":%d}",
                          88100 + i, 10 + 7 * i, 1 + i);
        int null_key = nulls && i == 1, null_value = nulls && i == 2;
        kp_batch_append(bb, 1717171717000LL + 15 * i, null_key ? NULL : key, null_key ? 0 : kl,
                        null_value ? NULL : value, null_value ? 0 : vl, headers, i);
    }
}

/* Appends one sealed batch to out. */
static void sealed_batch(kp_buf *out, kp_codec codec, int nulls,
                         const kp_batch_producer *producer) {
    kp_batch_builder bb;
    kp_buf scratch;
    char err[256];
    kp_batch_init(&bb, 512);
    kp_buf_init(&scratch, 0);
    fill_batch(&bb, nulls);
    if (kp_batch_seal(&bb, codec, KP_LEVEL_DEFAULT, cz, producer, &scratch, err, sizeof err)) {
        fprintf(stderr, "kprod_fuzz_seeds: seal (%s): %s\n", kp_codec_name(codec), err);
        failed++;
    }
    kp_buf_write(out, bb.buf.data, bb.buf.len);
    kp_buf_free(&scratch);
    kp_batch_free(&bb);
}

/* fuzz_batch's first byte: 1 MiB limit, with FUZZ_BATCH_FIX_* flags. */
enum { LIMIT_1MIB = 7 << 2 };

static void batch_seeds(void) {
    static const kp_codec codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4,
                                      KP_CODEC_ZSTD};
    static const kp_batch_producer idempotent = {4001, 0, 17, 0}, transactional = {4002, 3, 0, 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    char name[32];
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++) {
        kp_buf_reset(&b);
        kp_buf_i8(&b, FUZZ_BATCH_FIX_CRC | FUZZ_BATCH_FIX_LENGTH | LIMIT_1MIB);
        sealed_batch(&b, codecs[i], 0, NULL);
        snprintf(name, sizeof name, "%s", kp_codec_name(codecs[i]));
        save("batch", name, &b);
    }
    kp_buf_reset(&b);
    kp_buf_i8(&b, FUZZ_BATCH_FIX_CRC | FUZZ_BATCH_FIX_LENGTH | LIMIT_1MIB);
    sealed_batch(&b, KP_CODEC_NONE, 1, &idempotent);
    save("batch", "idempotent-null-key-and-value", &b);
    /* Two batches in a row, as a Produce request's records carry them. */
    kp_buf_reset(&b);
    kp_buf_i8(&b, FUZZ_BATCH_FIX_CRC | LIMIT_1MIB);
    sealed_batch(&b, KP_CODEC_LZ4, 0, &transactional);
    sealed_batch(&b, KP_CODEC_ZSTD, 1, &transactional);
    save("batch", "two-batches-transactional", &b);
    kp_buf_free(&b);
}

/* fuzz_decompress's first byte: codec, 1 MiB limit. */
static uint8_t decompress_selector(kp_codec codec) { return (uint8_t)(codec + 5 * 7); }

static void compressed(kp_buf *out, kp_codec codec, const kp_buf *plain) {
    char err[256];
    if (kp_compress(cz, codec, KP_LEVEL_DEFAULT, plain->data, plain->len, out, err, sizeof err)) {
        fprintf(stderr, "kprod_fuzz_seeds: compress (%s): %s\n", kp_codec_name(codec), err);
        failed++;
    }
}

static void decompress_seeds(void) {
    kp_buf plain, b;
    kp_buf_init(&plain, 0);
    kp_buf_init(&b, 0);
    sealed_batch(&plain, KP_CODEC_NONE, 0, NULL); /* record bytes compress like records */
    for (kp_codec c = KP_CODEC_NONE; c <= KP_CODEC_ZSTD; c++) {
        kp_buf_reset(&b);
        kp_buf_i8(&b, (int8_t)decompress_selector(c));
        compressed(&b, c, &plain);
        save("decompress", kp_codec_name(c), &b);
        if (c == KP_CODEC_NONE || c == KP_CODEC_SNAPPY) continue;
        /* A second frame (gzip member) after the first, as concatenations give. */
        compressed(&b, c, &plain);
        char name[32];
        snprintf(name, sizeof name, "%s-two-frames", kp_codec_name(c));
        save("decompress", name, &b);
    }
    /* A bare snappy block, as some non-Java producers write. */
    /* "order-order-": a 6-byte literal, then a 6-byte copy from 6 back. */
    static const uint8_t bare[] = {0x0c, 0x14, 'o', 'r', 'd', 'e', 'r', '-', 0x09, 0x06};
    kp_buf_reset(&b);
    kp_buf_i8(&b, (int8_t)decompress_selector(KP_CODEC_SNAPPY));
    kp_buf_write(&b, bare, sizeof bare);
    save("decompress", "snappy-bare-block", &b);
    kp_buf_free(&b);
    kp_buf_free(&plain);
}

/* ---- text inputs ---- */

static void conf_seeds(void) {
    save_text("conf", "producer-properties",
              "# producer.properties\n"
              "bootstrap.servers=kafka-1:9092, kafka-2:9092,[::1]:9093\n"
              "client.id = billing-producer\n"
              "acks=all\n"
              "enable.idempotence=true\n"
              "compression.type=zstd\n"
              "compression.zstd.level=6\n"
              "linger.ms=20\n"
              "batch.size=65536\n"
              "max.in.flight.requests.per.connection=5\n"
              "delivery.timeout.ms=120000\n"
              "\n"
              "   retry.backoff.ms =  250   \n");
    save_text("conf", "librdkafka-style",
              "bootstrap.servers=localhost:9092\n"
              "compression.type=lz4\n"
              "compression.level=9\n"
              "kprod.partitioner=murmur2_random\n"
              "partitioner.ignore.keys=false\n"
              "reconnect.backoff.ms=100\n"
              "send.buffer.bytes=-1\n");
    save_text("conf", "mistakes",
              "acks=2\n"
              "linger.ms=5s\n"
              "bootstrap.server=localhost:9092\n"
              "enable.idempotence=true\n"
              "max.in.flight.requests.per.connection=10\n"
              "no equals sign here\n"
              "=value without key\n"
              "bootstrap.servers=host-without-port\n");
}

static void cli_line_seeds(void) {
    save_text("cli_line", "colon",
              "\001:customer-1040:{\"order_id\":88100}\nno delimiter here\n:empty key\n");
    save_text("cli_line", "two-char-delim", "\002::user::42::x\ntrailing::\n");
    save_text("cli_line", "no-K", "\004plain value line\n\nsecond\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: kprod_fuzz_seeds DIR\n");
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "kprod_fuzz_seeds: mkdir %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    if (!(cz = kp_compressor_new())) return 1;
    decoder_seeds();
    header_seeds();
    conn_seeds();
    batch_seeds();
    decompress_seeds();
    conf_seeds();
    cli_line_seeds();
    kp_compressor_free(cz);
    printf("kprod_fuzz_seeds: %d seeds written to %s%s\n", written, out_dir,
           failed ? ", some failed" : "");
    return failed ? 1 : 0;
}
