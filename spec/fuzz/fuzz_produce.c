/* fuzz_produce.c — libFuzzer target: Produce response bodies, v3-10 (the
 * first byte picks the version), every decoded string and array read back. */
#include "fuzz.h"
#include "kp_proto_produce.h"

static void touch_partition(const kp_produce_partition_response *p) {
    fuzz_touch_str(p->error_message);
    FUZZ_CHECK_ARRAY(p->record_errors, p->record_errors_count);
    for (int32_t i = 0; i < p->record_errors_count; i++)
        fuzz_touch_str(p->record_errors[i].batch_index_error_message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int16_t version;
    if (fuzz_take_version(KP_API_PRODUCE, &data, &size, &version)) return 0;
    kp_produce_response p;
    kp_proto_err err;
    int rc = kp_produce_response_decode(data, size, version, &p, &err);
    if (!fuzz_decoded(rc, &err, size, !p.responses && !p.node_endpoints && !p.arena.head)) return 0;
    FUZZ_CHECK_ARRAY(p.responses, p.responses_count);
    for (int32_t i = 0; i < p.responses_count; i++) {
        const kp_produce_topic_response *t = &p.responses[i];
        FUZZ_CHECK(t->name != NULL, "a topic response is named");
        fuzz_touch_str(t->name);
        FUZZ_CHECK_ARRAY(t->partition_responses, t->partition_responses_count);
        for (int32_t k = 0; k < t->partition_responses_count; k++)
            touch_partition(&t->partition_responses[k]);
    }
    FUZZ_CHECK_ARRAY(p.node_endpoints, p.node_endpoints_count);
    FUZZ_CHECK(version >= 10 || p.node_endpoints_count == 0, "node endpoints are v10+");
    for (int32_t i = 0; i < p.node_endpoints_count; i++) fuzz_touch_node(&p.node_endpoints[i]);
    kp_produce_response_free(&p);
    return 0;
}
