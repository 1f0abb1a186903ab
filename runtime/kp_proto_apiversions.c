/* kp_proto_apiversions.c — ApiVersions request encoder, response decoder with
 * the UNSUPPORTED_VERSION fallback, and version negotiation. */
#include "kp_proto_apiversions.h"

#include <string.h>

#include "kp_proto_codec.h"

#define KP_UNSUPPORTED_VERSION 35

/* The broker's check on client_software_name/version (KIP-511):
 * [a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])? */
static int software_string_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        int inner = c == '-' || c == '.';
        if (!alnum && !(inner && i > 0 && i < n - 1)) return 0;
    }
    return 1;
}

int kp_api_versions_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                                   const char *client_id, const kp_api_versions_request *req,
                                   kp_proto_err *err) {
    kp_enc e;
    int rc = kp_enc_begin(&e, f, KP_API_API_VERSIONS, version, correlation_id, client_id, err);
    if (rc) return rc;
    if (version >= 3) {
        const char *name = req ? req->client_software_name : NULL;
        const char *ver = req ? req->client_software_version : NULL;
        if (!software_string_ok(name))
            kp_enc_fail(&e, "client_software_name",
                        "must match [a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?");
        if (!software_string_ok(ver))
            kp_enc_fail(&e, "client_software_version",
                        "must match [a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?");
        kp_enc_str(&e, "client_software_name", name, 0);
        kp_enc_str(&e, "client_software_version", ver, 0);
        kp_enc_tags(&e);
    }
    return kp_enc_end(&e);
}

/* Reads the body as laid out at `layout`. */
static int decode_layout(const uint8_t *body, size_t len, int16_t layout, int exact,
                         kp_api_versions *out, kp_proto_err *err) {
    kp_dec d;
    kp_dec_init(&d, body, len, layout >= 3, &out->arena);
    out->error_code = kp_dec_i16(&d, "error_code");
    /* api_key, min_version, max_version (+ tagged fields when flexible) */
    out->api_keys_count = kp_dec_array(&d, "api_keys", layout >= 3 ? 7 : 6);
    out->api_keys = kp_dec_alloc(&d, out->api_keys_count, sizeof *out->api_keys);
    for (int32_t i = 0; out->api_keys && i < out->api_keys_count; i++) {
        kp_api_version *k = &out->api_keys[i];
        k->api_key = kp_dec_i16(&d, "api_keys.api_key");
        k->min_version = kp_dec_i16(&d, "api_keys.min_version");
        k->max_version = kp_dec_i16(&d, "api_keys.max_version");
        kp_dec_tags(&d);
    }
    if (layout >= 1) out->throttle_time_ms = kp_dec_i32(&d, "throttle_time_ms");
    /* SupportedFeatures, FinalizedFeaturesEpoch, FinalizedFeatures, ...:
     * nothing a producer acts on. */
    kp_dec_tags(&d);
    int rc = kp_dec_finish_exact(&d, "ApiVersions", layout, exact, err);
    out->body_version = layout;
    if (rc) kp_api_versions_free(out);
    return rc;
}

int kp_api_versions_response_decode(const uint8_t *body, size_t len, int16_t version,
                                    kp_api_versions *out, kp_proto_err *err) {
    memset(out, 0, sizeof *out);
    int rc = kp_proto_check_version(KP_API_API_VERSIONS, version, err);
    if (rc) return rc;
    int refused = version > 0 && len >= 2 && ((body[0] << 8) | body[1]) == KP_UNSUPPORTED_VERSION;
    if (!refused) return decode_layout(body, len, version, 1, out, err);

    /* A broker that does not know our version answers in the one layout every
     * client can read, v0. Anything else that says UNSUPPORTED_VERSION is
     * still an answer: fall back without the broker's list. */
    /* Only a layout that uses every byte tells which one the broker chose. */
    if (decode_layout(body, len, 0, 1, out, NULL) == 0) return 0;
    if (decode_layout(body, len, version, 1, out, NULL) == 0) return 0;
    out->error_code = KP_UNSUPPORTED_VERSION;
    out->body_version = -1;
    if (err) *err = (kp_proto_err){.api = "ApiVersions", .version = version};
    return 0;
}

void kp_api_versions_free(kp_api_versions *av) {
    kp_proto_arena_free(&av->arena);
    memset(av, 0, sizeof *av);
}

int kp_api_versions_pick(const kp_api_versions *av, int16_t api_key, int16_t our_min,
                         int16_t our_max) {
    for (int32_t i = 0; i < av->api_keys_count; i++) {
        const kp_api_version *k = &av->api_keys[i];
        if (k->api_key != api_key) continue;
        int16_t lo = k->min_version > our_min ? k->min_version : our_min;
        int16_t hi = k->max_version < our_max ? k->max_version : our_max;
        return lo <= hi ? hi : -1;
    }
    return -1;
}
