/* kp_blob.c — reference-counted immutable bytes. */
#include "kp_blob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kp_blob *kp_blob_new(const void *data, size_t len) {
    if (len > SIZE_MAX - sizeof(kp_blob)) return NULL;
    kp_blob *b = malloc(sizeof *b + len);
    if (!b) return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    if (len) memcpy(b->data, data, len);
    return b;
}

kp_blob *kp_blob_from_file(const char *path, char *errstr, size_t errlen) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        snprintf(errstr, errlen, "%s: %s", path, f ? "not a regular file" : strerror(errno));
        if (f) fclose(f);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    kp_blob *b = len <= SIZE_MAX - sizeof(kp_blob) ? malloc(sizeof *b + len) : NULL;
    if (!b) {
        snprintf(errstr, errlen, "%s: out of memory for %zu bytes", path, len);
        fclose(f);
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->len = fread(b->data, 1, len, f);
    int failed = ferror(f) || b->len != len;
    fclose(f);
    if (failed) {
        snprintf(errstr, errlen, "%s: read %zu of %zu bytes", path, b->len, len);
        free(b);
        return NULL;
    }
    return b;
}

void kp_blob_ref(kp_blob *b) { atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed); }

void kp_blob_unref(kp_blob *b) {
    /* acq_rel: every reader's use happens before the free. */
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}
