/* kp_proto.c — which APIs and versions kprod speaks, header flexibility, the
 * response header and codec error messages. */
#include "kp_proto.h"

#include <stdio.h>

/* One row per API kprod speaks; flexible_from is the protocol's first
 * flexible version (request body, request header v2 and response header v1). */
static const struct kp_api_info {
    int16_t api_key;
    const char *name;
    int16_t min_version, max_version, flexible_from;
    int response_header_always_v0;
} kp_apis[] = {
    {KP_API_PRODUCE, "Produce", KP_PRODUCE_MIN_VERSION, KP_PRODUCE_MAX_VERSION, 9, 0},
    {KP_API_METADATA, "Metadata", KP_METADATA_MIN_VERSION, KP_METADATA_MAX_VERSION, 9, 0},
    {KP_API_API_VERSIONS, "ApiVersions", KP_API_VERSIONS_MIN_VERSION, KP_API_VERSIONS_MAX_VERSION,
     3, 1},
    {KP_API_INIT_PRODUCER_ID, "InitProducerId", KP_INIT_PRODUCER_ID_MIN_VERSION,
     KP_INIT_PRODUCER_ID_MAX_VERSION, 2, 0},
};

static const struct kp_api_info *api_info(int16_t api_key) {
    for (size_t i = 0; i < sizeof kp_apis / sizeof kp_apis[0]; i++)
        if (kp_apis[i].api_key == api_key) return &kp_apis[i];
    return NULL;
}

static const struct kp_api_info *api_at(int16_t api_key, int16_t version) {
    const struct kp_api_info *a = api_info(api_key);
    return a && version >= a->min_version && version <= a->max_version ? a : NULL;
}

const char *kp_proto_api_name(int16_t api_key) {
    const struct kp_api_info *a = api_info(api_key);
    return a ? a->name : "Unknown";
}

int kp_proto_version_range(int16_t api_key, int16_t *min_version, int16_t *max_version) {
    const struct kp_api_info *a = api_info(api_key);
    if (!a) return -1;
    *min_version = a->min_version;
    *max_version = a->max_version;
    return 0;
}

int kp_proto_request_flexible(int16_t api_key, int16_t version) {
    const struct kp_api_info *a = api_at(api_key, version);
    return a ? version >= a->flexible_from : -1;
}

int kp_proto_response_flexible(int16_t api_key, int16_t version) {
    const struct kp_api_info *a = api_at(api_key, version);
    if (!a) return -1;
    return !a->response_header_always_v0 && version >= a->flexible_from;
}

int kp_proto_response_header(kp_reader *r, int flexible, int32_t *correlation_id) {
    *correlation_id = kp_rd_i32(r);
    if (flexible) kp_rd_skip_tags(r);
    return r->err ? -1 : 0;
}

const char *kp_proto_err_format(const kp_proto_err *e, char *buf, size_t size) {
    if (!size) return buf;
    const char *api = e->api ? e->api : "kafka";
    const char *msg = e->msg ? e->msg : "no error";
    if (e->field)
        snprintf(buf, size, "%s v%d: %s at offset %zu (%s)", api, e->version, msg, e->offset,
                 e->field);
    else
        snprintf(buf, size, "%s v%d: %s", api, e->version, msg);
    return buf;
}
