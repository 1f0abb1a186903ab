/* kp_proto_metadata.c — Metadata v1-12 request encoder and response decoder. */
#include "kp_proto_metadata.h"

#include <string.h>

#include "kp_proto_codec.h"

int kp_metadata_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                               const char *client_id, const kp_metadata_request *req,
                               kp_proto_err *err) {
    kp_enc e;
    int rc = kp_enc_begin(&e, f, KP_API_METADATA, version, correlation_id, client_id, err);
    if (rc) return rc;
    static const kp_metadata_request all_topics = {.topics_count = -1,
                                                   .allow_auto_topic_creation = 1};
    if (!req) req = &all_topics;
    if (version < 4 && !req->allow_auto_topic_creation)
        kp_enc_fail(&e, "allow_auto_topic_creation", "false needs Metadata v4+");
    if (version < 8 && req->include_topic_authorized_operations)
        kp_enc_fail(&e, "include_topic_authorized_operations", "needs Metadata v8+");
    if ((version < 8 || version > 10) && req->include_cluster_authorized_operations)
        kp_enc_fail(&e, "include_cluster_authorized_operations", "exists only in Metadata v8-10");
    if (req->topics_count > 0 && !req->topics) kp_enc_fail(&e, "topics", "NULL topic list");

    /* v1+: a null array means every topic, an empty one none. */
    kp_enc_array(&e, "topics", req->topics_count < 0 ? -1 : req->topics_count, 1);
    for (int32_t i = 0; i < req->topics_count && !e.failed; i++) {
        if (version >= 10) {
            static const kp_uuid zero_topic_id;
            kp_buf_write(e.b, zero_topic_id.bytes, sizeof zero_topic_id.bytes); /* topic_id */
        }
        kp_enc_str(&e, "topics.name", req->topics[i], 0);
        kp_enc_tags(&e);
    }
    if (!e.failed) {
        if (version >= 4) kp_buf_i8(e.b, req->allow_auto_topic_creation ? 1 : 0);
        if (version >= 8 && version <= 10)
            kp_buf_i8(e.b, req->include_cluster_authorized_operations ? 1 : 0);
        if (version >= 8) kp_buf_i8(e.b, req->include_topic_authorized_operations ? 1 : 0);
    }
    kp_enc_tags(&e);
    return kp_enc_end(&e);
}

static void decode_partition(kp_dec *d, int16_t version, kp_metadata_partition *p) {
    p->error_code = kp_dec_i16(d, "partitions.error_code");
    p->partition_index = kp_dec_i32(d, "partitions.partition_index");
    p->leader_id = kp_dec_i32(d, "partitions.leader_id");
    p->leader_epoch = version >= 7 ? kp_dec_i32(d, "partitions.leader_epoch") : -1;
    p->replica_nodes = kp_dec_i32_array(d, "partitions.replica_nodes", &p->replica_nodes_count);
    p->isr_nodes = kp_dec_i32_array(d, "partitions.isr_nodes", &p->isr_nodes_count);
    if (version >= 5)
        p->offline_replicas =
            kp_dec_i32_array(d, "partitions.offline_replicas", &p->offline_replicas_count);
    kp_dec_tags(d);
}

static void decode_topic(kp_dec *d, int16_t version, kp_metadata_topic *t) {
    size_t len_size = d->flexible ? 1 : 4;
    t->error_code = kp_dec_i16(d, "topics.error_code");
    t->name = kp_dec_str(d, "topics.name", version >= 12 ? KP_STR_NULLABLE : 0);
    if (version >= 10) kp_dec_uuid(d, "topics.topic_id", &t->topic_id);
    if (version >= 1) t->is_internal = kp_dec_bool(d, "topics.is_internal");
    /* error_code, partition_index, leader_id, [leader_epoch], replica_nodes,
     * isr_nodes, [offline_replicas], [tagged fields] */
    size_t min_partition = 2 + 4 + 4 + (version >= 7 ? 4 : 0) + 2 * len_size +
                           (version >= 5 ? len_size : 0) + (d->flexible ? 1 : 0);
    t->partitions_count = kp_dec_array(d, "topics.partitions", min_partition);
    t->partitions = kp_dec_alloc(d, t->partitions_count, sizeof *t->partitions);
    for (int32_t i = 0; t->partitions && i < t->partitions_count && !d->r.err; i++)
        decode_partition(d, version, &t->partitions[i]);
    t->topic_authorized_operations =
        version >= 8 ? kp_dec_i32(d, "topics.topic_authorized_operations") : INT32_MIN;
    kp_dec_tags(d);
}

int kp_metadata_response_decode(const uint8_t *body, size_t len, int16_t version,
                                kp_metadata_response *out, kp_proto_err *err) {
    memset(out, 0, sizeof *out);
    int rc = kp_proto_check_version(KP_API_METADATA, version, err);
    if (rc) return rc;
    kp_dec d;
    kp_dec_init(&d, body, len, kp_proto_request_flexible(KP_API_METADATA, version), &out->arena);
    size_t len_size = d.flexible ? 1 : 4, str_size = d.flexible ? 1 : 2;

    out->throttle_time_ms = version >= 3 ? kp_dec_i32(&d, "throttle_time_ms") : 0;
    /* node_id, host, port, rack, [tagged fields] */
    size_t min_broker = 4 + str_size + 4 + str_size + (d.flexible ? 1 : 0);
    out->brokers_count = kp_dec_array(&d, "brokers", min_broker);
    out->brokers = kp_dec_alloc(&d, out->brokers_count, sizeof *out->brokers);
    for (int32_t i = 0; out->brokers && i < out->brokers_count && !d.r.err; i++)
        kp_dec_node(&d, &out->brokers[i], 1);
    out->cluster_id = version >= 2 ? kp_dec_str(&d, "cluster_id", KP_STR_NULLABLE) : NULL;
    out->controller_id = kp_dec_i32(&d, "controller_id");
    /* error_code, name, [topic_id], is_internal, partitions,
     * [topic_authorized_operations], [tagged fields] */
    size_t min_topic = 2 + str_size + (version >= 10 ? 16 : 0) + 1 + len_size +
                       (version >= 8 ? 4 : 0) + (d.flexible ? 1 : 0);
    out->topics_count = kp_dec_array(&d, "topics", min_topic);
    out->topics = kp_dec_alloc(&d, out->topics_count, sizeof *out->topics);
    for (int32_t i = 0; out->topics && i < out->topics_count && !d.r.err; i++)
        decode_topic(&d, version, &out->topics[i]);
    out->cluster_authorized_operations = version >= 8 && version <= 10
                                             ? kp_dec_i32(&d, "cluster_authorized_operations")
                                             : INT32_MIN;
    kp_dec_tags(&d);

    /* Bytes after the body are ignored here, as Java and librdkafka do:
     * librdkafka 2.12's mock appends a stray byte to Metadata v12 answers. */
    rc = kp_dec_finish_exact(&d, "Metadata", version, 0, err);
    if (rc) kp_metadata_response_free(out);
    return rc;
}

void kp_metadata_response_free(kp_metadata_response *m) {
    kp_proto_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}
