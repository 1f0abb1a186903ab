/* bench_wire.c — blocking TCP and frame I/O for the ceiling programs. */
#include "bench_wire.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kp_err.h"

int bench_first_broker(const char *list, char *host, size_t hostlen, int *port, char *errstr,
                       size_t errlen) {
    size_t n = strcspn(list, ",");
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (list[i] == ':') colon = list + i;
    if (!colon || (size_t)(colon - list) >= hostlen)
        return kp_fail(errstr, errlen, "broker list '%s': expected host:port", list);
    memcpy(host, list, (size_t)(colon - list));
    host[colon - list] = 0;
    *port = atoi(colon + 1);
    if (*port <= 0 || *port > 65535)
        return kp_fail(errstr, errlen, "broker list '%s': bad port", list);
    return 0;
}

int bench_connect(const char *host, int port, char *errstr, size_t errlen) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) return kp_fail(errstr, errlen, "%s:%d: cannot resolve: %s", host, port, gai_strerror(gai));
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return kp_fail(errstr, errlen, "%s:%d: cannot connect: %s", host, port, strerror(err));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int bench_write_all(int fd, const void *p, size_t n, char *errstr, size_t errlen) {
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t put = send(fd, b, n, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) return kp_fail(errstr, errlen, "send failed: %s", strerror(errno));
        b += put;
        n -= (size_t)put;
    }
    return 0;
}

static int read_full(int fd, uint8_t *p, size_t n, char *errstr, size_t errlen) {
    while (n > 0) {
        ssize_t got = recv(fd, p, n, 0);
        if (got > 0) {
            p += got;
            n -= (size_t)got;
        } else if (got == 0) {
            return kp_fail(errstr, errlen, "the peer closed the connection");
        } else if (errno != EINTR) {
            return kp_fail(errstr, errlen, "receive failed: %s", strerror(errno));
        }
    }
    return 0;
}

int bench_read_frame(int fd, kp_buf *buf, size_t max, char *errstr, size_t errlen) {
    uint8_t be[4];
    if (read_full(fd, be, 4, errstr, errlen)) return -1;
    uint32_t size = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
    if (size < 4 || size > max) return kp_fail(errstr, errlen, "frame of %u bytes is out of range", size);
    kp_buf_reset(buf);
    if (kp_buf_reserve(buf, size)) return kp_fail(errstr, errlen, "out of memory for %u bytes", size);
    if (read_full(fd, buf->data, size, errstr, errlen)) return -1;
    buf->len = size;
    return 0;
}

int bench_frame_flatten(const kp_frame *f, kp_buf *out) {
    int max = kp_frame_iov_max(f);
    struct iovec *iov = malloc(sizeof *iov * (size_t)max);
    if (!iov) return -1;
    int n = kp_frame_iov(f, iov, max);
    kp_buf_reset(out);
    for (int i = 0; i < n; i++) kp_buf_write(out, iov[i].iov_base, iov[i].iov_len);
    free(iov);
    return n < 0 || !kp_buf_ok(out) ? -1 : 0;
}

int bench_roundtrip(int fd, const kp_frame *f, int16_t api_key, int16_t version,
                    int32_t correlation_id, kp_buf *buf, const uint8_t **body, size_t *body_len,
                    char *errstr, size_t errlen) {
    char why[256];
    if (bench_frame_flatten(f, buf)) return kp_fail(errstr, errlen, "out of memory");
    if (bench_write_all(fd, buf->data, buf->len, why, sizeof why) ||
        bench_read_frame(fd, buf, 64 << 20, why, sizeof why))
        return kp_fail(errstr, errlen, "%s v%d: %s", kp_proto_api_name(api_key), version, why);
    kp_reader r;
    int32_t got = 0;
    kp_reader_init(&r, buf->data, buf->len);
    if (kp_proto_response_header(&r, kp_proto_response_flexible(api_key, version) == 1, &got))
        return kp_fail(errstr, errlen, "%s v%d response header: %s", kp_proto_api_name(api_key),
                       version, r.err);
    if (got != correlation_id)
        return kp_fail(errstr, errlen, "%s v%d: correlation id %d, expected %d",
                       kp_proto_api_name(api_key), version, got, correlation_id);
    *body = r.p;
    *body_len = kp_rd_remaining(&r);
    return 0;
}
