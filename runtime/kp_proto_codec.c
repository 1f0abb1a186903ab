/* kp_proto_codec.c — field-tracking writer and reader for the kp_proto_* codecs,
 * and the arena that owns decoded responses. */
#include "kp_proto_codec.h"

#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct kp_proto_block {
    struct kp_proto_block *next;
    size_t used, cap;
    max_align_t data[]; /* the block itself starts suitably aligned */
};

#define KP_ARENA_BLOCK 4096

void *kp_proto_arena_alloc(kp_proto_arena *a, size_t size, size_t align) {
    struct kp_proto_block *b = a->head;
    size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->cap || b->cap - at < size) {
        size_t cap = size > KP_ARENA_BLOCK ? size : KP_ARENA_BLOCK;
        if (cap > SIZE_MAX - sizeof *b) return NULL;
        struct kp_proto_block *nb = malloc(sizeof *nb + cap);
        if (!nb) return NULL;
        nb->cap = cap;
        nb->used = 0;
        /* A big one-off goes behind the current block so that block's free
         * room stays in use. */
        if (b && size > KP_ARENA_BLOCK) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
        at = 0;
    }
    void *p = (char *)b->data + at;
    b->used = at + size;
    memset(p, 0, size);
    return p;
}

void kp_proto_arena_free(kp_proto_arena *a) {
    struct kp_proto_block *b = a->head;
    while (b) {
        struct kp_proto_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

int kp_proto_check_version(int16_t api_key, int16_t version, kp_proto_err *err) {
    if (kp_proto_request_flexible(api_key, version) >= 0) return 0;
    if (err)
        *err = (kp_proto_err){.msg = "version not supported by kprod",
                              .api = kp_proto_api_name(api_key),
                              .version = version};
    return KP_PROTO_EVERSION;
}

/* ---- encoder ---- */

int kp_enc_begin(kp_enc *e, kp_frame *f, int16_t api_key, int16_t version, int32_t correlation_id,
                 const char *client_id, kp_proto_err *err) {
    *e = (kp_enc){.f = f, .b = &f->head, .err = err};
    if (err) *err = (kp_proto_err){.api = kp_proto_api_name(api_key), .version = version};
    int rc = kp_proto_check_version(api_key, version, err);
    if (rc) {
        kp_frame_reset(f);
        return rc;
    }
    e->flexible = kp_proto_request_flexible(api_key, version);
    rc = kp_frame_begin(f, api_key, version, correlation_id, client_id);
    if (rc == KP_PROTO_EMALFORMED) {
        kp_enc_fail(e, "client_id", "string longer than 32767 bytes");
        return kp_enc_end(e);
    }
    if (rc) {
        e->failed = rc;
        return kp_enc_end(e);
    }
    return 0;
}

static void enc_fail_code(kp_enc *e, const char *field, const char *msg, int code) {
    if (e->failed) return;
    e->failed = code;
    if (e->err) {
        e->err->msg = msg;
        e->err->field = field;
        e->err->offset = e->b->len;
    }
}

void kp_enc_fail(kp_enc *e, const char *field, const char *msg) {
    enc_fail_code(e, field, msg, KP_PROTO_EMALFORMED);
}

void kp_enc_str(kp_enc *e, const char *field, const char *s, int nullable) {
    if (e->failed) return;
    if (!s && !nullable) {
        kp_enc_fail(e, field, "null string in a non-nullable field");
        return;
    }
    size_t len = s ? strlen(s) : 0;
    if (len > INT16_MAX) {
        kp_enc_fail(e, field, "string longer than 32767 bytes");
        return;
    }
    kp_buf_str(e->b, e->flexible, s, s ? (int32_t)len : -1);
}

void kp_enc_array(kp_enc *e, const char *field, int32_t n, int nullable) {
    if (e->failed) return;
    if (n < 0 && !nullable) {
        kp_enc_fail(e, field, "negative count for a non-nullable array");
        return;
    }
    kp_buf_array_len(e->b, e->flexible, n);
}

int kp_enc_end(kp_enc *e) {
    if (!e->failed && !kp_buf_ok(e->b)) enc_fail_code(e, NULL, "out of memory", KP_PROTO_ENOMEM);
    if (!e->failed) {
        int rc = kp_frame_end(e->f);
        if (rc == KP_PROTO_EMALFORMED) enc_fail_code(e, NULL, "request larger than 2 GiB", rc);
        else if (rc) enc_fail_code(e, NULL, "out of memory", rc);
    }
    if (e->failed) kp_frame_reset(e->f);
    return e->failed;
}

/* ---- decoder ---- */

void kp_dec_init(kp_dec *d, const uint8_t *body, size_t len, int flexible, kp_proto_arena *arena) {
    static const uint8_t empty[1];
    *d = (kp_dec){.flexible = flexible, .arena = arena};
    if (!body) { /* NULL + 0 is undefined behaviour inside the reader */
        body = empty;
        len = 0;
    }
    kp_reader_init(&d->r, body, len);
}

int16_t kp_dec_i16(kp_dec *d, const char *field) {
    kp_dec_at(d, field);
    return kp_rd_i16(&d->r);
}

int32_t kp_dec_i32(kp_dec *d, const char *field) {
    kp_dec_at(d, field);
    return kp_rd_i32(&d->r);
}

int64_t kp_dec_i64(kp_dec *d, const char *field) {
    kp_dec_at(d, field);
    return kp_rd_i64(&d->r);
}

int kp_dec_bool(kp_dec *d, const char *field) {
    kp_dec_at(d, field);
    return kp_rd_i8(&d->r) != 0;
}

void kp_dec_uuid(kp_dec *d, const char *field, kp_uuid *out) {
    kp_slice s;
    kp_dec_at(d, field);
    kp_rd_raw(&d->r, sizeof out->bytes, &s);
    if (s.ptr) memcpy(out->bytes, s.ptr, sizeof out->bytes);
    else memset(out->bytes, 0, sizeof out->bytes);
}

static void *dec_alloc_bytes(kp_dec *d, size_t size, size_t align) {
    if (d->r.err) return NULL;
    void *p = kp_proto_arena_alloc(d->arena, size, align);
    if (!p) {
        d->oom = 1;
        kp_rd_fail(&d->r, "out of memory");
    }
    return p;
}

char *kp_dec_str(kp_dec *d, const char *field, int flags) {
    kp_slice s;
    kp_dec_at(d, field);
    kp_rd_str(&d->r, d->flexible, &s);
    if (d->r.err) return NULL;
    if (!s.ptr) {
        if (!(flags & KP_STR_NULLABLE)) kp_rd_fail(&d->r, "null string in a non-nullable field");
        return NULL;
    }
    if (!(flags & KP_STR_TEXT) && memchr(s.ptr, 0, (size_t)s.len)) {
        kp_rd_fail(&d->r, "NUL byte inside a name");
        return NULL;
    }
    char *copy = dec_alloc_bytes(d, (size_t)s.len + 1, 1);
    if (copy) memcpy(copy, s.ptr, (size_t)s.len); /* arena memory is zeroed: NUL included */
    return copy;
}

int32_t kp_dec_array(kp_dec *d, const char *field, size_t min_elem_size) {
    kp_dec_at(d, field);
    int32_t n = kp_rd_array_len(&d->r, d->flexible, min_elem_size);
    if (n < 0 && !d->r.err) kp_rd_fail(&d->r, "null array in a non-nullable field");
    return d->r.err ? 0 : n;
}

void *kp_dec_alloc(kp_dec *d, int32_t n, size_t elem_size) {
    if (n <= 0) return NULL;
    return dec_alloc_bytes(d, (size_t)n * elem_size, _Alignof(max_align_t));
}

int32_t *kp_dec_i32_array(kp_dec *d, const char *field, int32_t *count) {
    *count = kp_dec_array(d, field, 4);
    int32_t *v = kp_dec_alloc(d, *count, sizeof *v);
    for (int32_t i = 0; v && i < *count; i++) v[i] = kp_rd_i32(&d->r);
    if (d->r.err) *count = 0;
    return d->r.err ? NULL : v;
}

void kp_dec_node(kp_dec *d, kp_proto_node *node, int has_rack) {
    node->node_id = kp_dec_i32(d, "node_id");
    node->host = kp_dec_str(d, "host", 0);
    node->port = kp_dec_i32(d, "port");
    node->rack = has_rack ? kp_dec_str(d, "rack", KP_STR_NULLABLE) : NULL;
    kp_dec_tags(d);
}

void kp_dec_tagged(kp_dec *d, kp_dec_tag_fn fn, void *ctx) {
    if (!d->flexible) return;
    kp_dec_at(d, "tagged fields");
    uint64_t n = kp_rd_uvarint(&d->r);
    /* Each field takes at least two bytes (tag and size). */
    if (n > kp_rd_remaining(&d->r) / 2) kp_rd_fail(&d->r, "tagged field count past end of frame");
    for (uint64_t i = 0; i < n && !d->r.err; i++) {
        uint64_t tag = kp_rd_uvarint(&d->r);
        uint64_t size = kp_rd_uvarint(&d->r);
        if (d->r.err) break;
        if (size > kp_rd_remaining(&d->r)) {
            kp_rd_fail(&d->r, "tagged field past end of frame");
            break;
        }
        const uint8_t *end = d->r.end, *field_end = d->r.p + size;
        d->r.end = field_end; /* fn cannot read past its own field */
        if (fn) fn(d, tag, ctx);
        d->r.end = end;
        if (d->r.err) d->r.p = end;
        else d->r.p = field_end;
    }
}

int kp_dec_finish(kp_dec *d, const char *api, int16_t version, kp_proto_err *err) {
    return kp_dec_finish_exact(d, api, version, 1, err);
}

int kp_dec_finish_exact(kp_dec *d, const char *api, int16_t version, int exact,
                        kp_proto_err *err) {
    if (exact && !d->r.err && kp_rd_remaining(&d->r)) {
        d->field = "end of body";
        d->field_at = kp_rd_offset(&d->r);
        kp_rd_fail(&d->r, "trailing bytes after the body");
    }
    if (err)
        *err = (kp_proto_err){.msg = d->r.err,
                              .api = api,
                              .version = version,
                              .field = d->r.err ? d->field : NULL,
                              .offset = d->r.err ? d->field_at : 0};
    if (!d->r.err) return KP_PROTO_OK;
    return d->oom ? KP_PROTO_ENOMEM : KP_PROTO_EMALFORMED;
}
