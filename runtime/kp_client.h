/* kp_client.h — the network client (Java's NetworkClient): the set of broker
 * nodes, one connection each, reconnect backoff, and least-loaded choice. */
#ifndef KP_CLIENT_H
#define KP_CLIENT_H

#include <ev.h>
#include <stdint.h>

#include "kp_accumulator.h"
#include "kp_conf.h"
#include "kp_conn.h"

typedef struct kp_node {
    int32_t id;               /* broker id; bootstrap entries are -1, -2, ... */
    kp_conn conn;
    int64_t reconnect_at_us;  /* no connection attempt before this */
    int failures;             /* consecutive failed connections */
    int in_metadata;          /* named by the latest Metadata response */
    char last_error[256];

    /* sender's bookkeeping, rebuilt on each metadata update */
    kp_partq **parts;         /* partitions this node leads */
    int nparts, cap_parts;
    int drain_index;          /* where the next drain starts, for fairness */
    unsigned ready_round;     /* == sender round when found ready */
} kp_node;

typedef struct kp_client kp_client;

typedef struct kp_client_events {
    /* A connection became usable, or closed (reason says why): the sender
     * re-runs its loop and requests metadata where Java would. */
    void (*on_node_ready)(kp_node *n, void *ud);
    void (*on_node_closed)(kp_node *n, const char *reason, void *ud);
    void *ud;
} kp_client_events;

/* Creates a client on loop with the connection properties of conf (borrowed).
 * Adds one node per bootstrap.servers entry. NULL with errstr on failure. */
kp_client *kp_client_new(struct ev_loop *loop, const kp_conf *conf, const kp_client_events *ev,
                         char *errstr, size_t errlen);
/* Closes every connection (failing their requests) and frees the client. */
void kp_client_destroy(kp_client *c);

/* The node with this id, or NULL. */
kp_node *kp_client_node(kp_client *c, int32_t id);
/* Adds or updates a broker from metadata; a changed address closes its
 * connection. Returns the node, or NULL when out of memory. */
kp_node *kp_client_upsert_node(kp_client *c, int32_t id, const char *host, int port);
/* Iteration over all nodes. */
int kp_client_node_count(const kp_client *c);
kp_node *kp_client_node_at(kp_client *c, int i);

/* Java's NetworkClient.ready: true when a request can go to the node now;
 * otherwise starts connecting when allowed (backoff passed) and says no. */
int kp_client_ready(kp_client *c, kp_node *n, int64_t now_us);
/* Microseconds until the node might become ready (backoff left, or 0 when a
 * connection is on its way and I/O will wake the loop). */
int64_t kp_client_connection_delay(kp_client *c, kp_node *n, int64_t now_us);
/* Least loaded usable node for metadata: a ready connection with the fewest
 * requests in flight, else one that is connecting, else one that may connect
 * now (started here). Known brokers are preferred to bootstrap entries once
 * metadata has named any. NULL when every node is backing off. */
kp_node *kp_client_least_loaded(kp_client *c, int64_t now_us);

/* Sends a request to a ready node (see kp_client_ready); the node's
 * connection owns req until its callback ran. */
void kp_client_send(kp_client *c, kp_node *n, kp_request *req, int64_t now_us);

/* Applies request and connection timeouts to every connection; returns the
 * earliest deadline still pending, INT64_MAX when none. */
int64_t kp_client_check_timeouts(kp_client *c, int64_t now_us);
/* Requests in flight on all connections. */
int kp_client_in_flight(const kp_client *c);
/* 1 once any broker node (not bootstrap) is known. */
int kp_client_has_brokers(const kp_client *c);

#endif
