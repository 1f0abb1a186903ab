/* kp_proto_produce.c — Produce v3-10 request encoder (records spliced, never
 * copied) and response decoder, v10 leader hints included. */
#include "kp_proto_produce.h"

#include <string.h>

#include "kp_proto_codec.h"

/* Records: NULLABLE_BYTES or COMPACT_NULLABLE_BYTES. Only the length goes
 * into head; the bytes themselves, inserts between them, are spliced. */
static void enc_records(kp_enc *e, const kp_produce_partition_data *p) {
    if (e->failed) return;
    size_t len = p->records_len;
    for (int i = 0; i < p->insert_count; i++) {
        const kp_buf_insert *in = &p->inserts[i];
        if (in->at > p->records_len || (i > 0 && in->at < p->inserts[i - 1].at)) {
            kp_enc_fail(e, "partition_data.records", "inserts out of order");
            return;
        }
        len += in->len;
    }
    if (p->records && (len > (size_t)INT32_MAX - 1 || len < p->records_len)) {
        kp_enc_fail(e, "partition_data.records", "record set larger than 2 GiB");
        return;
    }
    int32_t n = p->records ? (int32_t)len : -1;
    if (e->flexible) kp_buf_uvarint(e->b, n < 0 ? 0 : (uint64_t)n + 1);
    else kp_buf_i32(e->b, n);
    if (!p->records) return;
    /* Splice failures mark head oom, which kp_enc_end reports. */
    size_t from = 0;
    for (int i = 0; i < p->insert_count; i++) {
        (void)kp_frame_splice(e->f, p->records + from, p->inserts[i].at - from);
        (void)kp_frame_splice(e->f, p->inserts[i].ptr, p->inserts[i].len);
        from = p->inserts[i].at;
    }
    (void)kp_frame_splice(e->f, p->records + from, p->records_len - from);
}

int kp_produce_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                              const char *client_id, const kp_produce_request *req,
                              kp_proto_err *err) {
    kp_enc e;
    int rc = kp_enc_begin(&e, f, KP_API_PRODUCE, version, correlation_id, client_id, err);
    if (rc) return rc;
    if (!req || (req->topic_data_count > 0 && !req->topic_data)) {
        kp_enc_fail(&e, "topic_data", "no request");
        return kp_enc_end(&e);
    }
    kp_enc_str(&e, "transactional_id", req->transactional_id, 1);
    if (!e.failed) {
        kp_buf_i16(e.b, req->acks);
        kp_buf_i32(e.b, req->timeout_ms);
    }
    kp_enc_array(&e, "topic_data", req->topic_data_count, 0);
    for (int32_t i = 0; i < req->topic_data_count && !e.failed; i++) {
        const kp_produce_topic_data *t = &req->topic_data[i];
        kp_enc_str(&e, "topic_data.name", t->name, 0);
        if (t->partition_data_count > 0 && !t->partition_data)
            kp_enc_fail(&e, "topic_data.partition_data", "NULL partition list");
        kp_enc_array(&e, "topic_data.partition_data", t->partition_data_count, 0);
        for (int32_t j = 0; j < t->partition_data_count && !e.failed; j++) {
            const kp_produce_partition_data *p = &t->partition_data[j];
            kp_buf_i32(e.b, p->index);
            enc_records(&e, p);
            kp_enc_tags(&e);
        }
        kp_enc_tags(&e);
    }
    kp_enc_tags(&e);
    return kp_enc_end(&e);
}

/* Partition tagged field 0: CurrentLeader {leader_id, leader_epoch}. */
static void partition_tag(kp_dec *d, uint64_t tag, void *ctx) {
    kp_produce_partition_response *p = ctx;
    if (tag != 0) return;
    p->current_leader.leader_id = kp_dec_i32(d, "current_leader.leader_id");
    p->current_leader.leader_epoch = kp_dec_i32(d, "current_leader.leader_epoch");
    kp_dec_tags(d);
}

/* Top-level tagged field 0: NodeEndpoints [node_id, host, port, rack]. */
static void response_tag(kp_dec *d, uint64_t tag, void *ctx) {
    kp_produce_response *out = ctx;
    if (tag != 0) return;
    out->node_endpoints_count = kp_dec_array(d, "node_endpoints", 4 + 1 + 4 + 1 + 1);
    out->node_endpoints = kp_dec_alloc(d, out->node_endpoints_count, sizeof *out->node_endpoints);
    for (int32_t i = 0; out->node_endpoints && i < out->node_endpoints_count && !d->r.err; i++)
        kp_dec_node(d, &out->node_endpoints[i], 1);
}

static void decode_partition(kp_dec *d, int16_t version, kp_produce_partition_response *p) {
    size_t str_size = d->flexible ? 1 : 2;
    p->index = kp_dec_i32(d, "partition_responses.index");
    p->error_code = kp_dec_i16(d, "partition_responses.error_code");
    p->base_offset = kp_dec_i64(d, "partition_responses.base_offset");
    p->log_append_time_ms = kp_dec_i64(d, "partition_responses.log_append_time_ms");
    p->log_start_offset = version >= 5 ? kp_dec_i64(d, "partition_responses.log_start_offset") : -1;
    if (version >= 8) {
        /* batch_index, batch_index_error_message, [tagged fields] */
        size_t min_error = 4 + str_size + (d->flexible ? 1 : 0);
        p->record_errors_count = kp_dec_array(d, "record_errors", min_error);
        p->record_errors = kp_dec_alloc(d, p->record_errors_count, sizeof *p->record_errors);
        for (int32_t i = 0; p->record_errors && i < p->record_errors_count && !d->r.err; i++) {
            kp_produce_record_error *re = &p->record_errors[i];
            re->batch_index = kp_dec_i32(d, "record_errors.batch_index");
            re->batch_index_error_message = kp_dec_str(
                d, "record_errors.batch_index_error_message", KP_STR_NULLABLE | KP_STR_TEXT);
            kp_dec_tags(d);
        }
        p->error_message =
            kp_dec_str(d, "partition_responses.error_message", KP_STR_NULLABLE | KP_STR_TEXT);
    }
    p->current_leader.leader_id = -1;
    p->current_leader.leader_epoch = -1;
    kp_dec_tagged(d, version >= 10 ? partition_tag : NULL, p);
}

int kp_produce_response_decode(const uint8_t *body, size_t len, int16_t version,
                               kp_produce_response *out, kp_proto_err *err) {
    memset(out, 0, sizeof *out);
    int rc = kp_proto_check_version(KP_API_PRODUCE, version, err);
    if (rc) return rc;
    kp_dec d;
    kp_dec_init(&d, body, len, kp_proto_request_flexible(KP_API_PRODUCE, version), &out->arena);
    size_t len_size = d.flexible ? 1 : 4, str_size = d.flexible ? 1 : 2, tags = d.flexible ? 1 : 0;

    /* name, partition_responses, [tagged fields] */
    out->responses_count = kp_dec_array(&d, "responses", str_size + len_size + tags);
    out->responses = kp_dec_alloc(&d, out->responses_count, sizeof *out->responses);
    /* index, error_code, base_offset, log_append_time_ms, [log_start_offset],
     * [record_errors, error_message], [tagged fields] */
    size_t min_partition = 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0) +
                           (version >= 8 ? len_size + str_size : 0) + tags;
    for (int32_t i = 0; out->responses && i < out->responses_count && !d.r.err; i++) {
        kp_produce_topic_response *t = &out->responses[i];
        t->name = kp_dec_str(&d, "responses.name", 0);
        t->partition_responses_count =
            kp_dec_array(&d, "responses.partition_responses", min_partition);
        t->partition_responses =
            kp_dec_alloc(&d, t->partition_responses_count, sizeof *t->partition_responses);
        for (int32_t j = 0; t->partition_responses && j < t->partition_responses_count && !d.r.err;
             j++)
            decode_partition(&d, version, &t->partition_responses[j]);
        kp_dec_tags(&d);
    }
    out->throttle_time_ms = kp_dec_i32(&d, "throttle_time_ms");
    kp_dec_tagged(&d, version >= 10 ? response_tag : NULL, out);

    rc = kp_dec_finish(&d, "Produce", version, err);
    if (rc) kp_produce_response_free(out);
    return rc;
}

void kp_produce_response_free(kp_produce_response *p) {
    kp_proto_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}
