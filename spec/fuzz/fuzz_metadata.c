/* fuzz_metadata.c — libFuzzer target: Metadata response bodies, v1-12 (the
 * first byte picks the version), every decoded string and array read back. */
#include "fuzz.h"
#include "kp_proto_metadata.h"

static void touch_ids(const int32_t *ids, int32_t count) {
    FUZZ_CHECK_ARRAY(ids, count);
    fuzz_touch(ids, (size_t)count * sizeof *ids);
}

static void touch_topic(const kp_metadata_topic *t) {
    fuzz_touch_str(t->name);
    FUZZ_CHECK_ARRAY(t->partitions, t->partitions_count);
    for (int32_t i = 0; i < t->partitions_count; i++) {
        const kp_metadata_partition *p = &t->partitions[i];
        touch_ids(p->replica_nodes, p->replica_nodes_count);
        touch_ids(p->isr_nodes, p->isr_nodes_count);
        touch_ids(p->offline_replicas, p->offline_replicas_count);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int16_t version;
    if (fuzz_take_version(KP_API_METADATA, &data, &size, &version)) return 0;
    kp_metadata_response m;
    kp_proto_err err;
    int rc = kp_metadata_response_decode(data, size, version, &m, &err);
    if (!fuzz_decoded(rc, &err, size, !m.brokers && !m.topics && !m.cluster_id && !m.arena.head))
        return 0;
    FUZZ_CHECK_ARRAY(m.brokers, m.brokers_count);
    for (int32_t i = 0; i < m.brokers_count; i++) fuzz_touch_node(&m.brokers[i]);
    fuzz_touch_str(m.cluster_id);
    FUZZ_CHECK_ARRAY(m.topics, m.topics_count);
    for (int32_t i = 0; i < m.topics_count; i++) {
        FUZZ_CHECK(m.topics[i].name || version >= 12, "only v12+ topics may be nameless");
        touch_topic(&m.topics[i]);
    }
    kp_metadata_response_free(&m);
    return 0;
}
