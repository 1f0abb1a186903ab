/* kp_client.c — broker nodes, their connections, reconnect backoff, least-loaded choice. */
#include "kp_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_partitioner.h"
#include "kp_time.h"

struct kp_client {
    struct ev_loop *loop;
    const kp_conf *conf;
    kp_client_events events;
    kp_node **nodes;
    int nnodes, cap_nodes;
    int brokers_known;
    uint32_t rng;
};

static void node_ready(kp_conn *conn, void *ud) {
    kp_client *c = ud;
    kp_node *n = (kp_node *)((char *)conn - offsetof(kp_node, conn));
    n->failures = 0;
    n->last_error[0] = 0;
    if (c->events.on_node_ready) c->events.on_node_ready(n, c->events.ud);
}

/* Exponential backoff with +-20% jitter (KIP-144 / KIP-580). */
static int64_t backoff_us(kp_client *c, int64_t base_ms, int64_t max_ms, int failures) {
    double b = (double)base_ms;
    for (int i = 1; i < failures && b < (double)max_ms; i++) b *= 2;
    if (b > (double)max_ms) b = (double)max_ms;
    double jitter = 0.8 + 0.4 * (kp_rand32(&c->rng) / 4294967296.0);
    return (int64_t)(b * jitter * 1000.0);
}

static void node_closed(kp_conn *conn, const char *reason, void *ud) {
    kp_client *c = ud;
    kp_node *n = (kp_node *)((char *)conn - offsetof(kp_node, conn));
    n->failures++;
    n->reconnect_at_us = kp_now_us() + backoff_us(c, c->conf->reconnect_backoff_ms,
                                                  c->conf->reconnect_backoff_max_ms, n->failures);
    snprintf(n->last_error, sizeof n->last_error, "%s", reason ? reason : "closed");
    KP_LOG_INFO("%s", n->last_error);
    if (c->events.on_node_closed) c->events.on_node_closed(n, reason, c->events.ud);
}

static kp_node *add_node(kp_client *c, int32_t id, const char *host, int port) {
    if (c->nnodes == c->cap_nodes) {
        int cap = c->cap_nodes ? c->cap_nodes * 2 : 8;
        kp_node **t = realloc(c->nodes, (size_t)cap * sizeof *t);
        if (!t) return NULL;
        c->nodes = t;
        c->cap_nodes = cap;
    }
    kp_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->id = id;
    kp_conn_events ev = {node_ready, node_closed, c};
    kp_conn_init(&n->conn, c->loop, id, host, port, c->conf->client_id, &ev);
    n->conn.send_buffer_bytes = c->conf->send_buffer_bytes;
    n->conn.receive_buffer_bytes = c->conf->receive_buffer_bytes;
    n->conn.request_timeout_us = KP_MS(c->conf->request_timeout_ms);
    c->nodes[c->nnodes++] = n;
    return n;
}

kp_client *kp_client_new(struct ev_loop *loop, const kp_conf *conf, const kp_client_events *ev,
                         char *errstr, size_t errlen) {
    kp_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    c->loop = loop;
    c->conf = conf;
    c->events = *ev;
    c->rng = (uint32_t)kp_now_us();
    const char *cursor = conf->bootstrap_servers;
    char host[256];
    int port, rc;
    int32_t id = -1;
    while (cursor && (rc = kp_conf_next_broker(&cursor, host, sizeof host, &port, errstr, errlen)) != 0) {
        if (rc < 0 || !add_node(c, id--, host, port)) goto err;
    }
    if (c->nnodes == 0) {
        snprintf(errstr, errlen, "bootstrap.servers is empty: name at least one host:port");
        goto err;
    }
    return c;
err:
    kp_client_destroy(c);
    return NULL;
}

void kp_client_destroy(kp_client *c) {
    if (!c) return;
    for (int i = 0; i < c->nnodes; i++) {
        c->nodes[i]->conn.events.on_closed = NULL;
        kp_conn_destroy(&c->nodes[i]->conn);
        free(c->nodes[i]->parts);
        free(c->nodes[i]);
    }
    free(c->nodes);
    free(c);
}

kp_node *kp_client_node(kp_client *c, int32_t id) {
    for (int i = 0; i < c->nnodes; i++)
        if (c->nodes[i]->id == id) return c->nodes[i];
    return NULL;
}

kp_node *kp_client_upsert_node(kp_client *c, int32_t id, const char *host, int port) {
    kp_node *n = kp_client_node(c, id);
    c->brokers_known = 1;
    if (!n) return add_node(c, id, host, port);
    if (strcmp(n->conn.host, host) || n->conn.port != port) {
        kp_conn_close(&n->conn, "broker address changed in metadata");
        snprintf(n->conn.host, sizeof n->conn.host, "%s", host);
        n->conn.port = port;
        snprintf(n->conn.name, sizeof n->conn.name, "%s:%d/%d", host, port, id);
    }
    return n;
}

int kp_client_node_count(const kp_client *c) { return c->nnodes; }
kp_node *kp_client_node_at(kp_client *c, int i) { return c->nodes[i]; }
int kp_client_has_brokers(const kp_client *c) { return c->brokers_known; }

static void start_connect(kp_client *c, kp_node *n, int64_t now_us) {
    char err[256];
    int64_t timeout = backoff_us(c, c->conf->socket_connection_setup_timeout_ms,
                                 c->conf->socket_connection_setup_timeout_max_ms, n->failures + 1);
    if (kp_conn_connect(&n->conn, now_us, timeout, err, sizeof err)) {
        n->failures++;
        n->reconnect_at_us = now_us + backoff_us(c, c->conf->reconnect_backoff_ms,
                                                 c->conf->reconnect_backoff_max_ms, n->failures);
        snprintf(n->last_error, sizeof n->last_error, "%s", err);
        KP_LOG_INFO("%s", err);
        if (c->events.on_node_closed) c->events.on_node_closed(n, err, c->events.ud);
    }
}

int kp_client_ready(kp_client *c, kp_node *n, int64_t now_us) {
    if (n->conn.state == KP_CONN_DISCONNECTED && now_us >= n->reconnect_at_us)
        start_connect(c, n, now_us);
    return kp_conn_can_send(&n->conn, c->conf->max_in_flight_requests_per_connection);
}

int64_t kp_client_connection_delay(kp_client *c, kp_node *n, int64_t now_us) {
    (void)c;
    if (n->conn.state == KP_CONN_DISCONNECTED)
        return n->reconnect_at_us > now_us ? n->reconnect_at_us - now_us : 0;
    /* Connecting, negotiating or busy: I/O events wake the loop. */
    return INT64_MAX;
}

kp_node *kp_client_least_loaded(kp_client *c, int64_t now_us) {
    kp_node *best = NULL, *connecting = NULL, *idle = NULL;
    int best_load = 1 << 30;
    /* Start at a random node so load spreads across equals. */
    int start = c->nnodes ? (int)(kp_rand32(&c->rng) % (uint32_t)c->nnodes) : 0;
    for (int k = 0; k < c->nnodes; k++) {
        kp_node *n = c->nodes[(start + k) % c->nnodes];
        if (c->brokers_known && n->id < 0) continue;
        if (c->brokers_known && !n->in_metadata) continue;
        if (kp_conn_can_send(&n->conn, c->conf->max_in_flight_requests_per_connection)) {
            if (n->conn.in_flight < best_load) {
                best = n;
                best_load = n->conn.in_flight;
            }
        } else if (n->conn.state != KP_CONN_DISCONNECTED) {
            if (!connecting) connecting = n;
        } else if (now_us >= n->reconnect_at_us && !idle) {
            idle = n;
        }
    }
    if (best) return best;
    if (connecting) return connecting;
    if (idle) {
        start_connect(c, idle, now_us);
        return idle;
    }
    return NULL;
}

void kp_client_send(kp_client *c, kp_node *n, kp_request *req, int64_t now_us) {
    (void)c;
    kp_conn_send(&n->conn, req, now_us);
}

int64_t kp_client_check_timeouts(kp_client *c, int64_t now_us) {
    int64_t next = INT64_MAX;
    for (int i = 0; i < c->nnodes; i++) {
        int64_t d = kp_conn_check_timeouts(&c->nodes[i]->conn, now_us);
        if (d < next) next = d;
        kp_node *n = c->nodes[i];
        if (n->conn.state == KP_CONN_DISCONNECTED && n->reconnect_at_us > now_us &&
            n->reconnect_at_us < next)
            next = n->reconnect_at_us;
    }
    return next;
}

int kp_client_in_flight(const kp_client *c) {
    int total = 0;
    for (int i = 0; i < c->nnodes; i++) total += c->nodes[i]->conn.in_flight;
    return total;
}
