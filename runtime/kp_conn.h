/* kp_conn.h — one non-blocking broker connection on libev: connect, ApiVersions
 * negotiation, request framing and writev, response matching by correlation id. */
#ifndef KP_CONN_H
#define KP_CONN_H

#include <ev.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kp_buf.h"
#include "kp_proto.h"

typedef struct kp_conn kp_conn;
typedef struct kp_request kp_request;

/* Completion of a request, called exactly once. err is 0 with `body` holding
 * the response body (header consumed); for a request that expects no response
 * (Produce acks=0) err is 0 and body NULL once it is fully written. Otherwise
 * err is a kp_err code (KP_ERR__TRANSPORT: connection lost; KP_ERR__TIMED_OUT:
 * request.timeout.ms passed; KP_ERR__BAD_MSG: unparseable response), body is
 * NULL and `reason` says what happened. The request is freed by the caller of
 * the callback right after it returns. */
typedef void kp_request_cb(kp_request *req, int err, const char *reason, kp_reader *body);

struct kp_request {
    kp_request *next;
    kp_frame frame;          /* owned: the bytes to send */
    int32_t correlation_id;
    int16_t api_key;
    int16_t api_version;
    int expect_response;
    size_t written;          /* bytes of frame already on the socket */
    int64_t sent_us;         /* when its first byte went out (0 = queued) */
    int64_t deadline_us;     /* request.timeout.ms from enqueue */
    kp_request_cb *cb;
    void *opaque;
};

/* Allocates an empty request (frame initialised). NULL when out of memory. */
kp_request *kp_request_new(kp_request_cb *cb, void *opaque);
void kp_request_free(kp_request *req);

typedef enum kp_conn_state {
    KP_CONN_DISCONNECTED,
    KP_CONN_CONNECTING,  /* TCP handshake in progress */
    KP_CONN_NEGOTIATING, /* ApiVersions in flight */
    KP_CONN_READY,
} kp_conn_state;

/* What a connection tells its owner (the network client). */
typedef struct kp_conn_events {
    void (*on_ready)(kp_conn *c, void *ud);
    /* Called after every queued and in-flight request has been failed. */
    void (*on_closed)(kp_conn *c, const char *reason, void *ud);
    void *ud;
} kp_conn_events;

struct kp_conn {
    struct ev_loop *loop;
    ev_io io;
    int fd;
    kp_conn_state state;
    int32_t node_id;
    char host[256];
    int port;
    char name[300];          /* "host:port/id" for log lines */
    const char *client_id;   /* borrowed from the configuration */
    int send_buffer_bytes;
    int receive_buffer_bytes;
    int64_t request_timeout_us;
    int64_t connect_deadline_us;
    kp_conn_events events;

    kp_request *sendq_head, *sendq_tail;     /* not yet fully written */
    kp_request *waitq_head, *waitq_tail;     /* written, awaiting a response */
    int in_flight;                           /* requests in both queues */
    int32_t next_correlation_id;
    int32_t last_unanswered_id;              /* newest request sent expecting no answer */

    kp_buf rbuf;                             /* bytes read, not yet dispatched */
    size_t rbuf_off;
    /* Highest version of each API both sides speak, -1 when none;
     * indexed by API key (< KP_CONN_MAX_API). */
#define KP_CONN_MAX_API 32
    int16_t api_version[KP_CONN_MAX_API];
    int16_t api_versions_attempt;            /* version of our ApiVersions request */
    uint64_t bytes_sent, bytes_received;
#define KP_CONN_MAX_IOV 1024 /* IOV_MAX on Linux */
    struct iovec iov[KP_CONN_MAX_IOV];  /* one writev's pieces */
    struct iovec *scratch;              /* one frame's pieces */
    int scratch_cap;
};

/* Prepares a disconnected connection to host:port for node node_id. */
void kp_conn_init(kp_conn *c, struct ev_loop *loop, int32_t node_id, const char *host, int port,
                  const char *client_id, const kp_conn_events *events);

/* Starts a non-blocking connect. Returns 0 (the connection will become READY
 * or be closed through the events), or -1 with errstr set when the socket
 * could not even be started (unresolvable host, no descriptors). */
int kp_conn_connect(kp_conn *c, int64_t now_us, int64_t setup_timeout_us, char *errstr,
                    size_t errlen);

/* Queues a request whose frame is complete (correlation id already taken
 * with kp_conn_next_correlation_id) and tries to write at once. The
 * connection owns req until its callback has run. */
void kp_conn_send(kp_conn *c, kp_request *req, int64_t now_us);

static inline int32_t kp_conn_next_correlation_id(kp_conn *c) {
    int32_t id = c->next_correlation_id;
    c->next_correlation_id = id == INT32_MAX ? 0 : id + 1;
    return id;
}

/* True when another request may go out now: READY, nothing half-written, and
 * fewer than max_in_flight outstanding (Java's InFlightRequests.canSendMore). */
int kp_conn_can_send(const kp_conn *c, int max_in_flight);

/* Negotiated version for api_key, or -1 when the broker speaks no version we do. */
int16_t kp_conn_api_version(const kp_conn *c, int16_t api_key);

/* Fails requests past their deadline and a connect past its setup timeout:
 * either closes the connection (Java does the same, since a late response
 * would desynchronise the stream). Returns the earliest upcoming deadline, or
 * INT64_MAX when none. */
int64_t kp_conn_check_timeouts(kp_conn *c, int64_t now_us);

/* Releases the connection's buffers (after kp_conn_close). */
void kp_conn_destroy(kp_conn *c);

/* Closes the socket, failing every queued and in-flight request with
 * KP_ERR__TRANSPORT and `reason`, then calls on_closed. Safe to call twice. */
void kp_conn_close(kp_conn *c, const char *reason);

#endif
