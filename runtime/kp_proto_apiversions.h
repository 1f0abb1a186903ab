/* kp_proto_apiversions.h — ApiVersions (key 18) v0-3: what a broker supports,
 * and picking the version to speak with it. */
#ifndef KP_PROTO_APIVERSIONS_H
#define KP_PROTO_APIVERSIONS_H

#include "kp_proto.h"

typedef struct kp_api_versions_request {
    /* v3+, both required there; brokers reject values that do not match
     * [a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?, so the encoder does too. */
    const char *client_software_name;
    const char *client_software_version;
} kp_api_versions_request;

/* Encodes a whole ApiVersions request into f (reset first). req may be NULL
 * for v0-2, whose body is empty. Returns 0 or a KP_PROTO_* code with err (may
 * be NULL) filled and f left empty. */
int kp_api_versions_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                                   const char *client_id, const kp_api_versions_request *req,
                                   kp_proto_err *err);

typedef struct kp_api_version {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} kp_api_version;

typedef struct kp_api_versions {
    int16_t error_code;
    kp_api_version *api_keys;
    int32_t api_keys_count;
    int32_t throttle_time_ms; /* v1+, else 0 */
    /* The layout the body was read with: the request's version; 0 when a
     * broker refused our version with UNSUPPORTED_VERSION (35) and a v0 body,
     * as Kafka brokers do; -1 when it refused with a body in no known layout
     * (librdkafka's mock), in which case api_keys is empty. */
    int16_t body_version;
    kp_proto_arena arena;
} kp_api_versions;

/* Decodes an ApiVersions response body (after the header, which is v0 for
 * every version) of the given request version into *out, which then owns its
 * memory until kp_api_versions_free. An error_code of UNSUPPORTED_VERSION is a
 * successful decode: retry with kp_api_versions_pick(out, KP_API_API_VERSIONS,
 * ...) when that is >= 0, else with v0. Returns 0, or a KP_PROTO_* code with
 * err (may be NULL) filled and *out empty. */
int kp_api_versions_response_decode(const uint8_t *body, size_t len, int16_t version,
                                    kp_api_versions *out, kp_proto_err *err);
void kp_api_versions_free(kp_api_versions *av);

/* Highest version in both [our_min, our_max] and the broker's range for
 * api_key, or -1 when the broker does not list the API or the ranges do not
 * meet. */
int kp_api_versions_pick(const kp_api_versions *av, int16_t api_key, int16_t our_min,
                         int16_t our_max);

#endif
