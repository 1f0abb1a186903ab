/* kp_proto_frame.c — request frames: Size + RequestHeader + body in one buffer,
 * record sets spliced in by reference for writev(). */
#include "kp_proto.h"

#include <stdlib.h>
#include <string.h>

void kp_frame_init(kp_frame *f) {
    kp_buf_init(&f->head, 0);
    f->splices = NULL;
    f->nsplices = f->cap_splices = 0;
    f->total_len = 0;
}

void kp_frame_reset(kp_frame *f) {
    kp_buf_reset(&f->head);
    f->nsplices = 0;
    f->total_len = 0;
}

void kp_frame_free(kp_frame *f) {
    kp_buf_free(&f->head);
    free(f->splices);
    kp_frame_init(f);
}

int kp_frame_begin(kp_frame *f, int16_t api_key, int16_t version, int32_t correlation_id,
                   const char *client_id) {
    kp_frame_reset(f);
    int flexible = kp_proto_request_flexible(api_key, version);
    if (flexible < 0) return KP_PROTO_EVERSION;
    size_t client_id_len = client_id ? strlen(client_id) : 0;
    if (client_id_len > INT16_MAX) return KP_PROTO_EMALFORMED;

    (void)kp_buf_placeholder(&f->head, 4); /* Size, patched by kp_frame_end */
    kp_buf_i16(&f->head, api_key);          /* request_api_key */
    kp_buf_i16(&f->head, version);          /* request_api_version */
    kp_buf_i32(&f->head, correlation_id);
    /* client_id is a legacy STRING even in header v2, so that any broker can
     * parse the header of a request whose version it does not know. */
    kp_buf_string(&f->head, client_id, client_id ? (int32_t)client_id_len : -1);
    if (flexible) kp_buf_no_tags(&f->head);
    return kp_buf_ok(&f->head) ? 0 : KP_PROTO_ENOMEM;
}

int kp_frame_splice(kp_frame *f, const uint8_t *ptr, size_t len) {
    if (len == 0) return 0;
    if (f->nsplices == f->cap_splices) {
        int cap = f->cap_splices ? f->cap_splices * 2 : 8;
        kp_splice *s = realloc(f->splices, (size_t)cap * sizeof *s);
        if (!s) {
            f->head.oom = 1; /* so kp_frame_end reports it too */
            return KP_PROTO_ENOMEM;
        }
        f->splices = s;
        f->cap_splices = cap;
    }
    f->splices[f->nsplices++] = (kp_splice){.at = f->head.len, .ptr = ptr, .len = len};
    return 0;
}

int kp_frame_end(kp_frame *f) {
    if (!kp_buf_ok(&f->head) || f->head.len < 4) return KP_PROTO_ENOMEM;
    size_t total = f->head.len;
    for (int i = 0; i < f->nsplices; i++) {
        if (f->splices[i].len > (size_t)INT32_MAX) return KP_PROTO_EMALFORMED;
        total += f->splices[i].len;
        if (total - 4 > (size_t)INT32_MAX) return KP_PROTO_EMALFORMED;
    }
    kp_buf_patch_i32(&f->head, 0, (int32_t)(total - 4));
    f->total_len = total;
    return 0;
}

int kp_frame_iov(const kp_frame *f, struct iovec *iov, int max) {
    int n = 0;
    size_t from = 0;
    for (int i = 0; i <= f->nsplices; i++) {
        size_t to = i < f->nsplices ? f->splices[i].at : f->head.len;
        if (to > from) {
            if (n == max) return -1;
            iov[n++] = (struct iovec){.iov_base = f->head.data + from, .iov_len = to - from};
        }
        from = to;
        if (i < f->nsplices) {
            if (n == max) return -1;
            iov[n++] = (struct iovec){.iov_base = (void *)f->splices[i].ptr,
                                      .iov_len = f->splices[i].len};
        }
    }
    return n;
}
