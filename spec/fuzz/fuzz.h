/* fuzz.h — what the libFuzzer targets in spec/fuzz share: contract checks that
 * abort (so libFuzzer keeps the input), API/version picking from input bytes,
 * and reading every byte a decoder hands back. */
#ifndef KP_FUZZ_H
#define KP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract is a finding like a crash: abort, and libFuzzer writes the
 * input out as crash-<sha1>. */
#define FUZZ_CHECK(cond, contract)                                                                 \
    do {                                                                                           \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, (contract));                             \
    } while (0)

static inline _Noreturn void fuzz_fail(const char *file, int line, const char *cond,
                                       const char *contract) {
    fprintf(stderr, "%s:%d: contract broken: %s\n  (%s)\n", file, line, contract, cond);
    abort();
}

/* Flag bits of the inputs that seed_corpus.c writes too: fuzz_conn's first
 * byte (NO_ACKS is a bit of a request byte) and fuzz_batch's. */
enum { FUZZ_CONN_NEGOTIATE = 1, FUZZ_CONN_PEER_CLOSES = 2, FUZZ_CONN_CHECK_TIMEOUTS = 4 };
enum { FUZZ_CONN_NO_ACKS = 4 };
enum { FUZZ_BATCH_FIX_CRC = 1, FUZZ_BATCH_FIX_LENGTH = 2 };

/* The APIs whose responses kprod reads, in the order a selector picks them. */
static const int16_t fuzz_apis[] = {KP_API_PRODUCE, KP_API_METADATA, KP_API_API_VERSIONS,
                                    KP_API_INIT_PRODUCER_ID};

/* A version of api_key inside kprod's range: selector 0 is the lowest. */
static inline int16_t fuzz_version(int16_t api_key, unsigned selector) {
    int16_t lo = 0, hi = 0;
    kp_proto_version_range(api_key, &lo, &hi);
    return (int16_t)(lo + (int)(selector % (unsigned)(hi - lo + 1)));
}

/* One byte names an API and a version: the low 2 bits pick from fuzz_apis,
 * bit 2 is left to the caller, bits 3-7 pick the version. */
static inline void fuzz_pick_api(uint8_t b, int16_t *api_key, int16_t *version) {
    *api_key = fuzz_apis[b & 3];
    *version = fuzz_version(*api_key, b >> 3);
}

/* Consumes the input's first byte as the version of api_key to decode at.
 * Returns -1 for an empty input. */
static inline int fuzz_take_version(int16_t api_key, const uint8_t **data, size_t *size,
                                    int16_t *version) {
    if (*size == 0) return -1;
    *version = fuzz_version(api_key, (*data)[0]);
    (*data)++;
    (*size)--;
    return 0;
}

/* Reads every byte of a view a decoder returned, so ASan reports one that
 * points outside its memory. The sum only keeps the reads alive. */
static inline unsigned fuzz_touch(const void *p, size_t n) {
    const volatile uint8_t *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += b[i];
    return sum;
}

/* A decoded array: never a negative count, memory whenever it is not empty. */
#define FUZZ_CHECK_ARRAY(ptr, count)                                                               \
    FUZZ_CHECK((count) >= 0 && ((count) == 0 || (ptr)), "an array has memory for its count")

/* The same for a decoded string: it must be NUL-terminated in its memory. */
static inline unsigned fuzz_touch_str(const char *s) {
    return s ? fuzz_touch(s, strlen(s) + 1) : 0;
}

static inline unsigned fuzz_touch_node(const kp_proto_node *n) {
    FUZZ_CHECK(n->host != NULL, "a broker's host is never null");
    return fuzz_touch_str(n->host) + fuzz_touch_str(n->rack);
}

/* Calls fn for each '\n'-separated line of data[0..size), the way getline
 * hands lines over: in its own exact-size allocation, '\n' removed,
 * NUL-terminated (a NUL inside stays, and ends it as a C string). */
typedef void fuzz_line_fn(char *line, size_t len, void *ctx);

static inline void fuzz_for_each_line(const uint8_t *data, size_t size, fuzz_line_fn *fn,
                                      void *ctx) {
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        char *line = malloc(n + 1);
        if (!line) abort();
        memcpy(line, p, n);
        line[n] = 0;
        fn(line, n, ctx);
        free(line);
        p += n + 1;
    }
}

/* What every kp_proto_* decoder promises when it rejects a body: a
 * KP_PROTO_* code (never EVERSION for an in-range version), an error that
 * names the API, says why, points inside the body and formats, and *out left
 * empty (out_empty says whether it is). Returns whether the body decoded. */
static inline int fuzz_decoded(int rc, const kp_proto_err *err, size_t body_len, int out_empty) {
    if (rc == 0) return 1;
    FUZZ_CHECK(rc == KP_PROTO_EMALFORMED || rc == KP_PROTO_ENOMEM,
               "a decoder returns EMALFORMED or ENOMEM for a bad body");
    FUZZ_CHECK(err->msg && err->api, "a decode error says why and for which API");
    FUZZ_CHECK(err->offset <= body_len, "a decode error points inside the body");
    char buf[256];
    FUZZ_CHECK(kp_proto_err_format(err, buf, sizeof buf)[0] != 0, "a decode error formats");
    FUZZ_CHECK(out_empty, "a failed decode leaves *out empty");
    return 0;
}

#endif
