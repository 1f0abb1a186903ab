/* fuzz_conn.c — libFuzzer target: kp_conn's frame reader end to end. A
 * connection gets one end of a socketpair, READY with a few requests in
 * flight (or CONNECTING, so that it negotiates ApiVersions first and sends
 * them once ready); the input goes in from the other end while the libev loop
 * runs until nothing moves. A garbage peer must cost the connection, never
 * the process: every request completes exactly once, the close is reported
 * exactly once, and a SIGPIPE (a write to a peer that hung up) aborts with a
 * message, since a library must not kill the process it lives in. Set
 * KPROD_FUZZ_IGNORE_SIGPIPE=1 to ignore SIGPIPE and fuzz past that.
 *
 * Input: byte 0 flags (bit 0 negotiate first; bit 1 the peer hangs up with
 * its last bytes; bit 2 run the timeout check at the end; bits 3-4: 1-4
 * requests), byte 1 the write size (0: all at once, else 1 << (n % 16) bytes
 * a write), one byte per request (fuzz_pick_api; bit 2 makes a Produce
 * acks=0), then the bytes the peer sends. Correlation ids count from 1 in the order the
 * requests go out, ApiVersions first when negotiating. */
#include <ev.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "kp_conn.h"
#include "kp_err.h"
#include "kp_proto_apiversions.h"
#include "kp_proto_initpid.h"
#include "kp_proto_metadata.h"
#include "kp_proto_produce.h"
#include "kp_time.h"

#define MAX_REQUESTS 4
#define IDLE_ROUNDS 3 /* loop turns without progress before the run ends */

typedef void conn_io_fn(struct ev_loop *loop, ev_io *w, int revents);

typedef struct harness {
    kp_conn conn;
    const uint8_t *specs;
    int nspecs;
    int negotiated; /* send at the versions ApiVersions settled */
    int sent[MAX_REQUESTS];
    int completed[MAX_REQUESTS];
    int closed;
} harness;

static struct ev_loop *loop;
static conn_io_fn *conn_io; /* kp_conn.c's (static) socket callback */
static harness h;

static void on_sigpipe(int sig) {
    (void)sig;
    static const char msg[] = "SIGPIPE: kp_conn wrote to a socket whose peer hung up, and the "
                              "signal would have killed the process\n";
    (void)!write(2, msg, sizeof msg - 1);
    abort();
}

/* kp_conn offers no way to adopt a socket, so the harness borrows the
 * callback kp_conn_connect installs, from one connect to a local listener. */
static void capture_conn_io(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&sa, &salen))
        abort();
    kp_conn *c = malloc(sizeof *c);
    kp_conn_events none = {0};
    char err[256];
    if (!c) abort();
    kp_conn_init(c, loop, 0, "127.0.0.1", ntohs(sa.sin_port), NULL, &none);
    if (kp_conn_connect(c, kp_now_us(), KP_MS(1000), err, sizeof err)) {
        fprintf(stderr, "fuzz_conn: %s\n", err);
        abort();
    }
    conn_io = ev_cb(&c->io);
    kp_conn_destroy(c);
    free(c);
    close(l);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    signal(SIGPIPE, getenv("KPROD_FUZZ_IGNORE_SIGPIPE") ? SIG_IGN : on_sigpipe);
    if (!(loop = ev_loop_new(EVFLAG_AUTO))) abort();
    capture_conn_io();
    return 0;
}

/* Decodes a body as the sender would; returns 0, or -1 when it is malformed. */
static int decode_response(int16_t api_key, int16_t version, kp_reader *body) {
    const uint8_t *p = body->p;
    size_t n = kp_rd_remaining(body);
    union {
        kp_produce_response produce;
        kp_metadata_response metadata;
        kp_api_versions api_versions;
        kp_init_producer_id_response init_pid;
    } r;
    switch (api_key) {
    case KP_API_PRODUCE:
        if (kp_produce_response_decode(p, n, version, &r.produce, NULL)) return -1;
        kp_produce_response_free(&r.produce);
        return 0;
    case KP_API_METADATA:
        if (kp_metadata_response_decode(p, n, version, &r.metadata, NULL)) return -1;
        kp_metadata_response_free(&r.metadata);
        return 0;
    case KP_API_API_VERSIONS:
        if (kp_api_versions_response_decode(p, n, version, &r.api_versions, NULL)) return -1;
        kp_api_versions_free(&r.api_versions);
        return 0;
    default:
        return kp_init_producer_id_response_decode(p, n, version, &r.init_pid, NULL) ? -1 : 0;
    }
}

static void request_cb(kp_request *req, int err, const char *reason, kp_reader *body) {
    int *completed = req->opaque;
    (*completed)++;
    if (err) {
        FUZZ_CHECK(!body && reason, "a failed request has a reason and no body");
        FUZZ_CHECK(err == KP_ERR__TRANSPORT || err == KP_ERR__TIMED_OUT,
                   "a request fails with _TRANSPORT or _TIMED_OUT");
        return;
    }
    if (!body) {
        FUZZ_CHECK(!req->expect_response, "only a request expecting no response ends without one");
        return;
    }
    FUZZ_CHECK(req->expect_response, "a request expecting no response gets none");
    /* As the sender does with a malformed Produce response. */
    if (decode_response(req->api_key, req->api_version, body))
        kp_conn_close(&h.conn, "malformed response");
}

static int encode_request(kp_frame *f, int16_t api_key, int16_t version, int32_t id, int no_acks) {
    static const kp_produce_partition_data partition = {0, NULL, 0, NULL, 0};
    static const kp_produce_topic_data topic = {"fuzz", &partition, 1};
    static const kp_api_versions_request software = {"kprod", "0.1.0"};
    static const kp_init_producer_id_request idempotent = {NULL, 60000, -1, -1};
    const char *client = "kprod-fuzz";
    switch (api_key) {
    case KP_API_PRODUCE: {
        kp_produce_request r = {NULL, (int16_t)(no_acks ? 0 : -1), 30000, &topic, 1};
        return kp_produce_request_encode(f, version, id, client, &r, NULL);
    }
    case KP_API_METADATA: return kp_metadata_request_encode(f, version, id, client, NULL, NULL);
    case KP_API_API_VERSIONS:
        return kp_api_versions_request_encode(f, version, id, client, &software, NULL);
    default: return kp_init_producer_id_request_encode(f, version, id, client, &idempotent, NULL);
    }
}

/* Sends the requests the input asks for; once negotiated, at the versions
 * the broker agreed to, as the client does. */
static void send_requests(harness *hs) {
    kp_conn *c = &hs->conn;
    for (int i = 0; i < hs->nspecs; i++) {
        int16_t api_key, version;
        fuzz_pick_api(hs->specs[i], &api_key, &version);
        if (hs->negotiated && (version = kp_conn_api_version(c, api_key)) < 0) continue;
        int no_acks = api_key == KP_API_PRODUCE && (hs->specs[i] & FUZZ_CONN_NO_ACKS);
        kp_request *req = kp_request_new(request_cb, &hs->completed[i]);
        if (!req) abort();
        req->api_key = api_key;
        req->api_version = version;
        req->correlation_id = kp_conn_next_correlation_id(c);
        req->expect_response = !no_acks;
        if (encode_request(&req->frame, api_key, version, req->correlation_id, no_acks)) abort();
        hs->sent[i] = 1;
        kp_conn_send(c, req, kp_now_us());
    }
}

static void on_ready(kp_conn *c, void *ud) {
    (void)c;
    send_requests(ud);
}

static void on_closed(kp_conn *c, const char *reason, void *ud) {
    harness *hs = ud;
    FUZZ_CHECK(reason && c->fd < 0 && c->in_flight == 0, "a closed connection holds no requests");
    hs->closed++;
}

/* Reads what the connection wrote and drops it; returns whether any came. */
static int drain(int fd) {
    char buf[4096];
    int any = 0;
    while (fd >= 0 && read(fd, buf, sizeof buf) > 0) any = 1;
    return any;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t flags = data[0];
    size_t nspecs = 1 + ((flags >> 3) & 3);
    if (size < 2 + nspecs) return 0;
    size_t chunk = data[1] ? (size_t)1 << (data[1] % 16) : SIZE_MAX;
    const uint8_t *in = data + 2 + nspecs;
    size_t inlen = size - 2 - nspecs, off = 0;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) abort();
    memset(&h, 0, sizeof h);
    h.specs = data + 2;
    h.nspecs = (int)nspecs;
    h.negotiated = flags & FUZZ_CONN_NEGOTIATE;
    kp_conn_events events = {on_ready, on_closed, &h};
    kp_conn *c = &h.conn;
    kp_conn_init(c, loop, 1, "fuzz-broker", 9092, "kprod-fuzz", &events);
    c->fd = sv[0];
    c->state = flags & FUZZ_CONN_NEGOTIATE ? KP_CONN_CONNECTING : KP_CONN_READY;
    ev_io_init(&c->io, conn_io, sv[0], flags & FUZZ_CONN_NEGOTIATE ? EV_WRITE : EV_READ);
    c->io.data = c;
    ev_io_start(loop, &c->io);
    if (!(flags & FUZZ_CONN_NEGOTIATE)) send_requests(&h);

    for (int idle = 0; c->fd >= 0 && idle < IDLE_ROUNDS;) {
        int progress = 0;
        if (off < inlen) {
            size_t n = inlen - off < chunk ? inlen - off : chunk;
            ssize_t w = send(sv[1], in + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                off += (size_t)w;
                progress = 1;
            }
        }
        /* Closing with the last bytes still unread is a broker answering
         * and hanging up at once: the connection sees both together. */
        if (off == inlen && (flags & FUZZ_CONN_PEER_CLOSES) && sv[1] >= 0) {
            close(sv[1]);
            sv[1] = -1;
            progress = 1;
        }
        progress |= drain(sv[1]);
        ev_run(loop, EVRUN_NOWAIT);
        idle = progress ? 0 : idle + 1;
    }
    if (flags & FUZZ_CONN_CHECK_TIMEOUTS)
        kp_conn_check_timeouts(c, kp_now_us() + KP_MS(3600 * 1000));
    kp_conn_destroy(c);
    if (sv[1] >= 0) close(sv[1]);

    FUZZ_CHECK(h.closed == 1, "a connection reports its close exactly once");
    FUZZ_CHECK(c->in_flight == 0 && !c->sendq_head && !c->waitq_head,
               "a closed connection holds no requests");
    for (int i = 0; i < h.nspecs; i++)
        FUZZ_CHECK(h.completed[i] == h.sent[i], "every request completes exactly once");
    return 0;
}
