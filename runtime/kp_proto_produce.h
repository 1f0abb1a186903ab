/* kp_proto_produce.h — Produce (key 0) v3-10: record batches out by reference,
 * per-partition outcomes back. */
#ifndef KP_PROTO_PRODUCE_H
#define KP_PROTO_PRODUCE_H

#include "kp_proto.h"

typedef struct kp_produce_partition_data {
    int32_t index;
    const uint8_t *records; /* record batches, spliced not copied; NULL sends null */
    size_t records_len;
    /* Spliced into records in order (values a batch refers to); may be NULL. */
    const kp_buf_insert *inserts;
    int insert_count;
} kp_produce_partition_data;

typedef struct kp_produce_topic_data {
    const char *name;
    const kp_produce_partition_data *partition_data;
    int32_t partition_data_count;
} kp_produce_topic_data;

typedef struct kp_produce_request {
    const char *transactional_id; /* NULL unless transactional */
    int16_t acks;                 /* 0, 1 or -1 (all) */
    int32_t timeout_ms;
    const kp_produce_topic_data *topic_data;
    int32_t topic_data_count;
} kp_produce_request;

/* Encodes a whole Produce request into f (reset first). Every records buffer
 * is spliced by reference: it must stay alive and unchanged until the frame
 * has been written or reset. Remember that acks=0 gets no response at all.
 * Returns 0 or a KP_PROTO_* code with err (may be NULL) filled and f empty. */
int kp_produce_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                              const char *client_id, const kp_produce_request *req,
                              kp_proto_err *err);

typedef struct kp_produce_record_error {
    int32_t batch_index;
    char *batch_index_error_message; /* may be NULL */
} kp_produce_record_error;

typedef struct kp_produce_partition_response {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms; /* -1 unless the topic uses LogAppendTime */
    int64_t log_start_offset;   /* v5+, else -1 */
    kp_produce_record_error *record_errors; /* v8+ */
    int32_t record_errors_count;
    char *error_message; /* v8+, may be NULL */
    /* v10 tagged field 0, sent with NOT_LEADER_OR_FOLLOWER and friends;
     * both -1 when absent. */
    struct {
        int32_t leader_id;
        int32_t leader_epoch;
    } current_leader;
} kp_produce_partition_response;

typedef struct kp_produce_topic_response {
    char *name;
    kp_produce_partition_response *partition_responses;
    int32_t partition_responses_count;
} kp_produce_topic_response;

typedef struct kp_produce_response {
    kp_produce_topic_response *responses;
    int32_t responses_count;
    int32_t throttle_time_ms;
    /* v10 tagged field 0: addresses of the current leaders named above, so a
     * client can move without a Metadata round trip. */
    kp_proto_node *node_endpoints;
    int32_t node_endpoints_count;
    kp_proto_arena arena;
} kp_produce_response;

/* Decodes a Produce response body (after the response header) into *out,
 * which then owns its strings and arrays until kp_produce_response_free.
 * Returns 0, or a KP_PROTO_* code with err (may be NULL) filled and *out
 * empty. */
int kp_produce_response_decode(const uint8_t *body, size_t len, int16_t version,
                               kp_produce_response *out, kp_proto_err *err);
void kp_produce_response_free(kp_produce_response *p);

#endif
