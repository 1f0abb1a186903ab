/* bench_wire.h — blocking TCP for the ceiling programs: connect, write whole
 * buffers, read whole Kafka frames, and requests flattened to plain bytes. */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "kp_buf.h"
#include "kp_proto.h"

/* Splits the first entry of a "host:port,host:port" list. Returns 0, or -1
 * with errstr naming the list. */
int bench_first_broker(const char *list, char *host, size_t hostlen, int *port, char *errstr,
                       size_t errlen);

/* Connects to host:port with TCP_NODELAY (as both producers use) and no
 * timeouts. Returns the socket, or -1 with errstr naming the address. */
int bench_connect(const char *host, int port, char *errstr, size_t errlen);

/* Writes all n bytes (resuming after partial writes). Returns 0, or -1 with
 * errstr filled. */
int bench_write_all(int fd, const void *p, size_t n, char *errstr, size_t errlen);

/* Reads one size-prefixed frame into buf (reset first; the 4-byte Size is
 * not kept). Frames above max bytes are refused. Returns 0, or -1 with
 * errstr filled (the peer closing counts as an error). */
int bench_read_frame(int fd, kp_buf *buf, size_t max, char *errstr, size_t errlen);

/* Copies every byte of the frame (head and splices) into out (reset first).
 * Returns 0, or -1 when out of memory. */
int bench_frame_flatten(const kp_frame *f, kp_buf *out);

/* Sends the request in f, reads its response and checks the correlation id.
 * *body (the response body after its header) points into buf. Returns 0, or
 * -1 with errstr naming the API. */
int bench_roundtrip(int fd, const kp_frame *f, int16_t api_key, int16_t version,
                    int32_t correlation_id, kp_buf *buf, const uint8_t **body, size_t *body_len,
                    char *errstr, size_t errlen);

#endif
