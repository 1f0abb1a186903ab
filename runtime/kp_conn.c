/* kp_conn.c — one non-blocking broker connection on libev. */
#include "kp_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_proto_apiversions.h"
#include "kp_time.h"

/* Largest response frame accepted; Kafka's own socket.request.max.bytes
 * default is 100 MiB, and nothing a producer asks for comes close. */
#define KP_CONN_MAX_FRAME (100 * 1024 * 1024)
#define KP_CONN_READ_CHUNK (64 * 1024)

kp_request *kp_request_new(kp_request_cb *cb, void *opaque) {
    kp_request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    kp_frame_init(&r->frame);
    r->cb = cb;
    r->opaque = opaque;
    r->expect_response = 1;
    return r;
}

void kp_request_free(kp_request *req) {
    if (!req) return;
    kp_frame_free(&req->frame);
    free(req);
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void fail_all(kp_conn *c, int err, const char *reason);

void kp_conn_init(kp_conn *c, struct ev_loop *loop, int32_t node_id, const char *host, int port,
                  const char *client_id, const kp_conn_events *events) {
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->fd = -1;
    c->node_id = node_id;
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    snprintf(c->name, sizeof c->name, "%s:%d/%d", host, port, node_id);
    c->client_id = client_id;
    c->send_buffer_bytes = -1;
    c->receive_buffer_bytes = -1;
    c->request_timeout_us = KP_MS(30000);
    c->events = *events;
    c->next_correlation_id = 1;
    c->last_unanswered_id = -1;
    kp_buf_init(&c->rbuf, 0);
    for (int i = 0; i < KP_CONN_MAX_API; i++) c->api_version[i] = -1;
}

static void set_events(kp_conn *c, int events) {
    if (c->fd < 0) return;
    if (ev_is_active(&c->io) && c->io.events == events) return;
    ev_io_stop(c->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(c->loop, &c->io);
}

int kp_conn_connect(kp_conn *c, int64_t now_us, int64_t setup_timeout_us, char *errstr,
                    size_t errlen) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    int rc = getaddrinfo(c->host, port, &hints, &res);
    if (rc) {
        snprintf(errstr, errlen, "cannot resolve broker %s: %s", c->name, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errstr, errlen, "socket for broker %s: %s", c->name, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->send_buffer_bytes > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &c->send_buffer_bytes, sizeof c->send_buffer_bytes);
    if (c->receive_buffer_bytes > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &c->receive_buffer_bytes,
                   sizeof c->receive_buffer_bytes);
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc < 0 && errno != EINPROGRESS) {
        snprintf(errstr, errlen, "connect to broker %s: %s", c->name, strerror(errno));
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = KP_CONN_CONNECTING;
    c->connect_deadline_us = now_us + setup_timeout_us;
    c->rbuf_off = 0;
    c->last_unanswered_id = -1;
    kp_buf_reset(&c->rbuf);
    ev_io_init(&c->io, conn_io_cb, fd, EV_WRITE);
    c->io.data = c;
    ev_io_start(c->loop, &c->io);
    return 0;
}

static void enqueue(kp_request **head, kp_request **tail, kp_request *r) {
    r->next = NULL;
    if (*tail) (*tail)->next = r;
    else *head = r;
    *tail = r;
}

static kp_request *dequeue(kp_request **head, kp_request **tail) {
    kp_request *r = *head;
    if (!r) return NULL;
    *head = r->next;
    if (!*head) *tail = NULL;
    r->next = NULL;
    return r;
}

/* Runs a request's callback and frees it. */
static void complete(kp_request *r, int err, const char *reason, kp_reader *body) {
    r->cb(r, err, reason, body);
    kp_request_free(r);
}

/* Gathers the unwritten bytes of the send queue into c->iov, several requests
 * per writev, at most IOV_MAX pieces. Returns the number of pieces. */
static int gather(kp_conn *c, int64_t now_us) {
    int n = 0;
    for (kp_request *r = c->sendq_head; r && n < KP_CONN_MAX_IOV; r = r->next) {
        int need = kp_frame_iov_max(&r->frame);
        if (c->scratch_cap < need) {
            struct iovec *t = realloc(c->scratch, (size_t)need * sizeof *t);
            if (!t) break;
            c->scratch = t;
            c->scratch_cap = need;
        }
        int k = kp_frame_iov(&r->frame, c->scratch, c->scratch_cap);
        size_t skip = r->written;
        for (int i = 0; i < k && n < KP_CONN_MAX_IOV; i++) {
            if (skip >= c->scratch[i].iov_len) {
                skip -= c->scratch[i].iov_len;
                continue;
            }
            c->iov[n].iov_base = (char *)c->scratch[i].iov_base + skip;
            c->iov[n].iov_len = c->scratch[i].iov_len - skip;
            skip = 0;
            n++;
        }
        if (!r->sent_us) r->sent_us = now_us;
    }
    return n;
}

/* Moves fully written requests to the wait queue (or completes those that
 * expect no response). Returns -1 when a callback closed the connection. */
static int advance(kp_conn *c, size_t written) {
    while (written && c->sendq_head) {
        kp_request *r = c->sendq_head;
        size_t remain = r->frame.total_len - r->written;
        if (written < remain) {
            r->written += written;
            return 0;
        }
        written -= remain;
        r->written = r->frame.total_len;
        dequeue(&c->sendq_head, &c->sendq_tail);
        if (r->expect_response) {
            enqueue(&c->waitq_head, &c->waitq_tail, r);
        } else {
            c->in_flight--;
            c->last_unanswered_id = r->correlation_id;
            complete(r, 0, NULL, NULL);
            if (c->fd < 0) return -1;
        }
    }
    return 0;
}

/* Writes as much of the send queue as the socket takes. Returns 0, or -1
 * after the connection was closed. */
static int flush_sendq(kp_conn *c, int64_t now_us) {
    while (c->sendq_head) {
        int n = gather(c, now_us);
        if (n == 0) {
            kp_conn_close(c, "out of memory writing a request");
            return -1;
        }
        /* sendmsg with MSG_NOSIGNAL, not writev: a broker that hung up must
         * cost this connection (EPIPE), never the process (SIGPIPE). */
        struct msghdr msg = {.msg_iov = c->iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            char reason[300];
            snprintf(reason, sizeof reason, "write to broker %s failed: %s", c->name, strerror(errno));
            kp_conn_close(c, reason);
            return -1;
        }
        c->bytes_sent += (uint64_t)w;
        if (advance(c, (size_t)w)) return -1;
    }
    set_events(c, c->sendq_head ? EV_READ | EV_WRITE : EV_READ);
    return 0;
}

void kp_conn_send(kp_conn *c, kp_request *req, int64_t now_us) {
    if (c->fd < 0) {
        complete(req, KP_ERR__TRANSPORT, "not connected", NULL);
        return;
    }
    req->written = 0;
    req->sent_us = 0;
    req->deadline_us = now_us + c->request_timeout_us;
    enqueue(&c->sendq_head, &c->sendq_tail, req);
    c->in_flight++;
    if (c->state != KP_CONN_CONNECTING) flush_sendq(c, now_us);
}

int kp_conn_can_send(const kp_conn *c, int max_in_flight) {
    return c->state == KP_CONN_READY && c->sendq_head == NULL && c->in_flight < max_in_flight;
}

int16_t kp_conn_api_version(const kp_conn *c, int16_t api_key) {
    if (api_key < 0 || api_key >= KP_CONN_MAX_API) return -1;
    return c->api_version[api_key];
}

/* ---- ApiVersions negotiation ---- */

static void send_api_versions(kp_conn *c, int16_t version, int64_t now_us);

static void api_versions_cb(kp_request *req, int err, const char *reason, kp_reader *body) {
    kp_conn *c = req->opaque;
    if (err) return; /* the connection is already closing with its reason */
    kp_api_versions av;
    kp_proto_err perr = {0};
    int rc = kp_api_versions_response_decode(body->p, kp_rd_remaining(body), req->api_version, &av,
                                             &perr);
    char why[256];
    if (rc) {
        char msg[200];
        snprintf(why, sizeof why, "broker %s sent a malformed ApiVersions response: %s", c->name,
                 kp_proto_err_format(&perr, msg, sizeof msg));
        kp_conn_close(c, why);
        return;
    }
    if (av.error_code == KP_ERR_UNSUPPORTED_VERSION && req->api_version > 0) {
        /* Retry at the broker's highest ApiVersions version when it said,
         * else at v0, as Kafka's clients do. */
        int16_t next = 0;
        for (int i = 0; i < av.api_keys_count; i++)
            if (av.api_keys[i].api_key == KP_API_API_VERSIONS &&
                av.api_keys[i].max_version < req->api_version)
                next = av.api_keys[i].max_version;
        kp_api_versions_free(&av);
        send_api_versions(c, next, kp_now_us());
        return;
    }
    if (av.error_code) {
        snprintf(why, sizeof why, "broker %s refused ApiVersions v%d: %s", c->name,
                 req->api_version, kp_err_name(av.error_code));
        kp_api_versions_free(&av);
        kp_conn_close(c, why);
        return;
    }
    static const int16_t apis[] = {KP_API_PRODUCE, KP_API_METADATA, KP_API_API_VERSIONS,
                                   KP_API_INIT_PRODUCER_ID};
    for (size_t i = 0; i < sizeof apis / sizeof *apis; i++) {
        int16_t lo, hi;
        kp_proto_version_range(apis[i], &lo, &hi);
        c->api_version[apis[i]] = (int16_t)kp_api_versions_pick(&av, apis[i], lo, hi);
    }
    kp_api_versions_free(&av);
    (void)reason;
    c->state = KP_CONN_READY;
    KP_LOG_DEBUG("broker %s ready: Produce v%d, Metadata v%d, InitProducerId v%d", c->name,
                 c->api_version[KP_API_PRODUCE], c->api_version[KP_API_METADATA],
                 c->api_version[KP_API_INIT_PRODUCER_ID]);
    if (c->events.on_ready) c->events.on_ready(c, c->events.ud);
}

static void send_api_versions(kp_conn *c, int16_t version, int64_t now_us) {
    kp_request *req = kp_request_new(api_versions_cb, c);
    if (!req) {
        kp_conn_close(c, "out of memory");
        return;
    }
    kp_api_versions_request body = {"kprod", KPROD_SOFTWARE_VERSION};
    req->api_key = KP_API_API_VERSIONS;
    req->api_version = version;
    req->correlation_id = kp_conn_next_correlation_id(c);
    if (kp_api_versions_request_encode(&req->frame, version, req->correlation_id, c->client_id,
                                       &body, NULL)) {
        kp_request_free(req);
        kp_conn_close(c, "cannot encode ApiVersions request");
        return;
    }
    c->api_versions_attempt = version;
    kp_conn_send(c, req, now_us);
}

static void finish_connect(kp_conn *c, int64_t now_us) {
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
    if (soerr) {
        char reason[300];
        snprintf(reason, sizeof reason, "connect to broker %s failed: %s", c->name, strerror(soerr));
        kp_conn_close(c, reason);
        return;
    }
    c->state = KP_CONN_NEGOTIATING;
    set_events(c, EV_READ);
    send_api_versions(c, KP_API_VERSIONS_MAX_VERSION, now_us);
}

/* ---- reading ---- */

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Hands one complete response frame to the oldest in-flight request. */
static int dispatch(kp_conn *c, const uint8_t *frame, size_t len) {
    kp_request *r = c->waitq_head;
    char reason[300];
    /* Kafka never answers acks=0 Produce requests, but librdkafka's mock
     * does: such an answer (its correlation id is at the frame's start in
     * every header version) is dropped rather than taken for a protocol error. */
    int32_t id = len >= 4 ? (int32_t)be32(frame) : -1;
    if (c->last_unanswered_id >= 0 && id >= 0 && id <= c->last_unanswered_id &&
        (!r || id != r->correlation_id)) {
        KP_LOG_DEBUG("broker %s answered request %d that expects no answer (acks=0): dropped",
                     c->name, id);
        return 0;
    }
    if (!r) {
        snprintf(reason, sizeof reason, "broker %s sent a response nobody asked for", c->name);
        kp_conn_close(c, reason);
        return -1;
    }
    kp_reader rd;
    kp_reader_init(&rd, frame, len);
    int32_t corr = 0;
    int flexible = kp_proto_response_flexible(r->api_key, r->api_version);
    if (kp_proto_response_header(&rd, flexible > 0, &corr) || corr != r->correlation_id) {
        snprintf(reason, sizeof reason,
                 "broker %s answered correlation id %d while %d (%s v%d) was expected", c->name,
                 corr, r->correlation_id, kp_proto_api_name(r->api_key), r->api_version);
        kp_conn_close(c, reason);
        return -1;
    }
    dequeue(&c->waitq_head, &c->waitq_tail);
    c->in_flight--;
    complete(r, 0, NULL, &rd);
    return c->fd < 0 ? -1 : 0;
}

static void read_socket(kp_conn *c) {
    for (int rounds = 0; rounds < 16; rounds++) {
        if (kp_buf_reserve(&c->rbuf, KP_CONN_READ_CHUNK)) {
            kp_conn_close(c, "out of memory reading a response");
            return;
        }
        ssize_t n = read(c->fd, c->rbuf.data + c->rbuf.len, c->rbuf.cap - c->rbuf.len);
        if (n == 0) {
            char reason[300];
            snprintf(reason, sizeof reason, "broker %s closed the connection", c->name);
            kp_conn_close(c, reason);
            return;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            char reason[300];
            snprintf(reason, sizeof reason, "read from broker %s failed: %s", c->name, strerror(errno));
            kp_conn_close(c, reason);
            return;
        }
        c->rbuf.len += (size_t)n;
        c->bytes_received += (uint64_t)n;
        /* Dispatch every complete frame. */
        while (c->rbuf.len - c->rbuf_off >= 4) {
            uint32_t size = be32(c->rbuf.data + c->rbuf_off);
            if (size < 4 || size > KP_CONN_MAX_FRAME) {
                char reason[300];
                snprintf(reason, sizeof reason,
                         "broker %s sent a frame of %u bytes (limit %d): closing the connection",
                         c->name, size, KP_CONN_MAX_FRAME);
                kp_conn_close(c, reason);
                return;
            }
            if (c->rbuf.len - c->rbuf_off - 4 < size) break;
            const uint8_t *frame = c->rbuf.data + c->rbuf_off + 4;
            c->rbuf_off += 4 + (size_t)size;
            if (dispatch(c, frame, size)) return;
        }
        /* Keep the unread tail at the front so the buffer never creeps. */
        size_t tail = c->rbuf.len - c->rbuf_off;
        if (c->rbuf_off) {
            memmove(c->rbuf.data, c->rbuf.data + c->rbuf_off, tail);
            c->rbuf.len = tail;
            c->rbuf_off = 0;
        }
        if ((size_t)n < KP_CONN_READ_CHUNK) break;
    }
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    kp_conn *c = w->data;
    int64_t now = kp_now_us();
    if (c->state == KP_CONN_CONNECTING) {
        if (revents & EV_WRITE) finish_connect(c, now);
        return;
    }
    if (revents & EV_READ) read_socket(c);
    if (c->fd >= 0 && (revents & EV_WRITE)) flush_sendq(c, now);
}

/* ---- timeouts and closing ---- */

int64_t kp_conn_check_timeouts(kp_conn *c, int64_t now_us) {
    if (c->fd < 0) return INT64_MAX;
    char reason[300];
    if (c->state == KP_CONN_CONNECTING) {
        if (now_us >= c->connect_deadline_us) {
            snprintf(reason, sizeof reason, "connection to broker %s not established within "
                     "socket.connection.setup.timeout.ms", c->name);
            kp_conn_close(c, reason);
            return INT64_MAX;
        }
        return c->connect_deadline_us;
    }
    int64_t next = INT64_MAX;
    kp_request *heads[2] = {c->waitq_head, c->sendq_head};
    for (int i = 0; i < 2; i++) {
        kp_request *r = heads[i];
        if (!r) continue;
        if (now_us >= r->deadline_us) {
            snprintf(reason, sizeof reason,
                     "%s v%d request to broker %s timed out after request.timeout.ms=%lld",
                     kp_proto_api_name(r->api_key), r->api_version, c->name,
                     (long long)(c->request_timeout_us / 1000));
            fail_all(c, KP_ERR__TIMED_OUT, reason);
            return INT64_MAX;
        }
        if (r->deadline_us < next) next = r->deadline_us;
    }
    return next;
}

/* Closes the socket and fails every request with `err`, then reports. */
static void fail_all(kp_conn *c, int err, const char *reason) {
    if (c->fd < 0 && c->state == KP_CONN_DISCONNECTED) return;
    ev_io_stop(c->loop, &c->io);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = KP_CONN_DISCONNECTED;
    kp_buf_reset(&c->rbuf);
    c->rbuf_off = 0;
    kp_request *r;
    while ((r = dequeue(&c->waitq_head, &c->waitq_tail))) {
        c->in_flight--;
        complete(r, err, reason, NULL);
    }
    while ((r = dequeue(&c->sendq_head, &c->sendq_tail))) {
        c->in_flight--;
        complete(r, err, reason, NULL);
    }
    for (int i = 0; i < KP_CONN_MAX_API; i++) c->api_version[i] = -1;
    if (c->events.on_closed) c->events.on_closed(c, reason, c->events.ud);
}

void kp_conn_close(kp_conn *c, const char *reason) { fail_all(c, KP_ERR__TRANSPORT, reason); }

/* Half-closes and reads until the broker closes too (at most a second):
 * closing a socket with unread bytes resets it, and a reset can make the
 * broker drop requests it has not read yet: acks=0 records, which already
 * count as sent (librdkafka's mock even answers them). */
static void linger_until_peer_closes(kp_conn *c) {
    /* Only requests sent without awaiting an answer can still be unread. */
    if (c->fd < 0 || c->state != KP_CONN_READY || c->last_unanswered_id < 0 ||
        shutdown(c->fd, SHUT_WR))
        return;
    int64_t deadline = kp_now_us() + KP_MS(1000);
    char sink[4096];
    for (int64_t now; (now = kp_now_us()) < deadline;) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)((deadline - now) / 1000) + 1) <= 0) return;
        ssize_t n = read(c->fd, sink, sizeof sink);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
    }
}

void kp_conn_destroy(kp_conn *c) {
    linger_until_peer_closes(c);
    kp_conn_close(c, "producer closing");
    kp_buf_free(&c->rbuf);
    free(c->scratch);
    c->scratch = NULL;
    c->scratch_cap = 0;
}
