/* kp_sender_metadata.c — keeping the cluster view fresh: when to ask for
 * Metadata, whom to ask, and applying the answer to topics, partitions,
 * leaders and broker nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_proto_metadata.h"
#include "kp_sender.h"
#include "kp_time.h"

void kp_sender_request_metadata(kp_sender *s) { s->metadata_needed = 1; }

static int64_t metadata_backoff_us(kp_sender *s) {
    int64_t b = KP_MS(s->conf->retry_backoff_ms);
    for (int i = 1; i < s->metadata_failures && b < KP_MS(s->conf->retry_backoff_max_ms); i++) b *= 2;
    return b > KP_MS(s->conf->retry_backoff_max_ms) ? KP_MS(s->conf->retry_backoff_max_ms) : b;
}

static void add_part_to_node(kp_node *n, kp_partq *pq) {
    if (n->nparts == n->cap_parts) {
        int cap = n->cap_parts ? n->cap_parts * 2 : 16;
        kp_partq **t = realloc(n->parts, (size_t)cap * sizeof *t);
        if (!t) return;
        n->parts = t;
        n->cap_parts = cap;
    }
    n->parts[n->nparts++] = pq;
}

/* Rebuilds each node's list of partitions it leads, which drain walks. */
static void rebuild_leadership(kp_sender *s) {
    int nodes = kp_client_node_count(s->client);
    for (int i = 0; i < nodes; i++) kp_client_node_at(s->client, i)->nparts = 0;
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) {
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) {
            kp_partq *pq = parts[i];
            pq->leader_node = pq->leader >= 0 ? kp_client_node(s->client, pq->leader) : NULL;
            if (pq->leader_node) add_part_to_node(pq->leader_node, pq);
        }
    }
}

static void apply_topic(kp_sender *s, const kp_metadata_topic *mt, int *missing) {
    if (!mt->name) return;
    kp_topic *t = kp_accumulator_topic(s->acc, mt->name, strlen(mt->name));
    if (!t) return;
    if (mt->error_code == KP_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
        (mt->error_code == KP_ERR_LEADER_NOT_AVAILABLE && mt->partitions_count == 0) ||
        (mt->error_code == 0 && mt->partitions_count == 0)) {
        /* Not there (yet): auto-creation may be on its way; senders wait
         * up to max.block.ms, as Java's waitOnMetadata does. */
        *missing = 1;
        return;
    }
    if (mt->error_code && !kp_err_retriable(mt->error_code)) {
        atomic_store(&t->err, mt->error_code);
        return;
    }
    int32_t count = 0;
    for (int i = 0; i < mt->partitions_count; i++)
        if (mt->partitions[i].partition_index + 1 > count) count = mt->partitions[i].partition_index + 1;
    if (kp_accumulator_set_partitions(s->acc, t, count)) return;
    atomic_store(&t->err, 0);
    kp_partq **parts = atomic_load(&t->parts);
    for (int i = 0; i < mt->partitions_count; i++) {
        const kp_metadata_partition *mp = &mt->partitions[i];
        if (mp->partition_index < 0) continue;
        kp_partq *pq = parts[mp->partition_index];
        int32_t leader = mp->error_code == KP_ERR_LEADER_NOT_AVAILABLE ? -1 : mp->leader_id;
        if (leader != pq->leader && pq->leader >= 0)
            KP_LOG_INFO("leader of %s [%d] moved from %d to %d", t->name, mp->partition_index,
                        pq->leader, leader);
        pq->leader = leader;
        if (leader < 0) *missing = 1;
    }
}

static void metadata_cb(kp_request *req, int err, const char *reason, kp_reader *body) {
    kp_sender *s = req->opaque;
    int64_t now = kp_now_us();
    s->metadata_in_flight = 0;
    if (err) {
        s->metadata_failures++;
        s->metadata_needed = 1;
        KP_LOG_INFO("Metadata request failed: %s", reason);
        return;
    }
    kp_metadata_response m;
    kp_proto_err perr = {0};
    if (kp_metadata_response_decode(body->p, kp_rd_remaining(body), req->api_version, &m, &perr)) {
        char msg[256];
        KP_LOG_ERROR("malformed Metadata response: %s", kp_proto_err_format(&perr, msg, sizeof msg));
        s->metadata_failures++;
        s->metadata_needed = 1;
        return;
    }
    int nodes = kp_client_node_count(s->client);
    for (int i = 0; i < nodes; i++) kp_client_node_at(s->client, i)->in_metadata = 0;
    for (int i = 0; i < m.brokers_count; i++) {
        kp_node *n = kp_client_upsert_node(s->client, m.brokers[i].node_id, m.brokers[i].host,
                                           m.brokers[i].port);
        if (n) n->in_metadata = 1;
    }
    int missing = 0;
    for (int i = 0; i < m.topics_count; i++) apply_topic(s, &m.topics[i], &missing);
    kp_metadata_response_free(&m);
    rebuild_leadership(s);
    /* Bootstrap connections served their purpose once brokers are known. */
    nodes = kp_client_node_count(s->client);
    for (int i = 0; i < nodes; i++) {
        kp_node *n = kp_client_node_at(s->client, i);
        if (n->id < 0 && n->conn.state != KP_CONN_DISCONNECTED && n->conn.in_flight == 0)
            kp_conn_close(&n->conn, "bootstrap connection no longer needed");
    }
    /* A topic that appeared after the request was built still needs one. */
    int topics = 0;
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) topics++;
    s->metadata_failures = 0;
    s->metadata_needed = missing || topics > s->metadata_topic_count;
    s->metadata_updated_us = now;
    kp_accumulator_notify_metadata(s->acc);
}

int64_t kp_sender_maybe_update_metadata(kp_sender *s, int64_t now_us) {
    if (s->metadata_in_flight) return INT64_MAX;
    int64_t due = s->metadata_needed
                      ? s->metadata_attempt_us + (s->metadata_failures || s->metadata_updated_us ? metadata_backoff_us(s) : 0)
                      : s->metadata_updated_us + KP_MS(s->conf->metadata_max_age_ms);
    if (now_us < due) return due;
    kp_node *n = kp_client_least_loaded(s->client, now_us);
    if (!n || !kp_client_ready(s->client, n, now_us)) {
        /* Nothing usable yet: connecting nodes wake the loop by I/O; warn
         * now and then so a wrong bootstrap.servers does not pass silently. */
        if (now_us - s->metadata_warned_us > KP_MS(10000) && n == NULL) {
            s->metadata_warned_us = now_us;
            KP_LOG_WARN("no broker reachable for metadata (bootstrap.servers=%s)",
                        s->conf->bootstrap_servers ? s->conf->bootstrap_servers : "");
        }
        return now_us + KP_MS(s->conf->reconnect_backoff_ms);
    }
    /* Ask for every topic the producer uses. */
    int count = 0;
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) count++;
    const char **names = malloc((size_t)(count ? count : 1) * sizeof *names);
    kp_request *req = kp_request_new(metadata_cb, s);
    if (!names || !req) {
        free(names);
        kp_request_free(req);
        return now_us + KP_MS(100);
    }
    int i = 0;
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) names[i++] = t->name;
    int16_t version = kp_conn_api_version(&n->conn, KP_API_METADATA);
    kp_metadata_request mr = {names, count, s->conf->allow_auto_create_topics, 0, 0};
    if (version < 4) mr.allow_auto_topic_creation = 1; /* cannot be said before v4 */
    req->api_key = KP_API_METADATA;
    req->api_version = version;
    req->correlation_id = kp_conn_next_correlation_id(&n->conn);
    kp_proto_err perr = {0};
    int rc = version < 0 ? -1
                         : kp_metadata_request_encode(&req->frame, version, req->correlation_id,
                                                      s->conf->client_id, &mr, &perr);
    free(names);
    if (rc) {
        KP_LOG_ERROR("cannot encode a Metadata v%d request for broker %s", version, n->conn.name);
        kp_request_free(req);
        return now_us + KP_MS(1000);
    }
    s->metadata_in_flight = 1;
    s->metadata_topic_count = count;
    s->metadata_attempt_us = now_us;
    atomic_fetch_add(&s->stats.metadata_requests, 1);
    kp_client_send(s->client, n, req, now_us);
    return INT64_MAX;
}
