/* kp_proto_metadata.h — Metadata (key 3) v1-12: brokers, topics, partition
 * leaders. */
#ifndef KP_PROTO_METADATA_H
#define KP_PROTO_METADATA_H

#include "kp_proto.h"

typedef struct kp_metadata_request {
    /* Topic names (borrowed). topics_count < 0 sends a null array, which asks
     * for every topic; 0 asks for none (brokers only). Topics are always
     * requested by name: topic_id goes out as the zero uuid (v10+). */
    const char *const *topics;
    int32_t topics_count;
    int allow_auto_topic_creation;             /* v4+; false needs v4+ */
    int include_cluster_authorized_operations; /* v8-10 only; true elsewhere fails */
    int include_topic_authorized_operations;   /* v8+; true before v8 fails */
} kp_metadata_request;

/* Encodes a whole Metadata request into f (reset first); a NULL req asks for
 * every topic with auto-creation allowed. Returns 0 or a
 * KP_PROTO_* code with err (may be NULL) filled and f left empty; a field
 * set to something the version cannot carry is an error, not silently
 * dropped. */
int kp_metadata_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                               const char *client_id, const kp_metadata_request *req,
                               kp_proto_err *err);

typedef struct kp_metadata_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch; /* v7+, else -1 */
    int32_t *replica_nodes;
    int32_t replica_nodes_count;
    int32_t *isr_nodes;
    int32_t isr_nodes_count;
    int32_t *offline_replicas; /* v5+ */
    int32_t offline_replicas_count;
} kp_metadata_partition;

typedef struct kp_metadata_topic {
    int16_t error_code;
    char *name;       /* NULL only in v12+, for a topic asked for by id */
    kp_uuid topic_id; /* v10+, else zero */
    int is_internal;
    kp_metadata_partition *partitions;
    int32_t partitions_count;
    int32_t topic_authorized_operations; /* v8+, else INT32_MIN */
} kp_metadata_topic;

typedef struct kp_metadata_response {
    int32_t throttle_time_ms; /* v3+, else 0 */
    kp_proto_node *brokers;
    int32_t brokers_count;
    char *cluster_id;      /* v2+, may be NULL */
    int32_t controller_id; /* -1 when unknown */
    kp_metadata_topic *topics;
    int32_t topics_count;
    int32_t cluster_authorized_operations; /* v8-10, else INT32_MIN */
    kp_proto_arena arena;
} kp_metadata_response;

/* Decodes a Metadata response body (after the response header) into *out,
 * which then owns every string and array in it until
 * kp_metadata_response_free. Returns 0, or a KP_PROTO_* code with err (may be
 * NULL) filled and *out empty. */
int kp_metadata_response_decode(const uint8_t *body, size_t len, int16_t version,
                                kp_metadata_response *out, kp_proto_err *err);
void kp_metadata_response_free(kp_metadata_response *m);

#endif
