/* kp_blob.h — immutable bytes shared by reference count: values a record
 * batch refers to instead of copying (the batch holds a reference until the
 * broker answered for it), so a pool of large values is never duplicated. */
#ifndef KP_BLOB_H
#define KP_BLOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kp_blob {
    _Atomic long refs;
    size_t len;
    uint8_t data[];
} kp_blob;

/* A blob holding a copy of data[0..len), with one reference (the caller's).
 * NULL when out of memory. */
kp_blob *kp_blob_new(const void *data, size_t len);
/* A blob holding the contents of the file at path, read straight into it
 * (no second copy), with one reference. NULL with errstr naming the file
 * and the cause. */
kp_blob *kp_blob_from_file(const char *path, char *errstr, size_t errlen);
/* 1 when blob->data[offset..offset+len) lies inside the blob, else 0. */
static inline int kp_blob_holds(const kp_blob *b, size_t offset, int32_t len) {
    return b && len >= 0 && offset <= b->len && (size_t)len <= b->len - offset;
}
/* Takes one more reference (any thread). */
void kp_blob_ref(kp_blob *b);
/* Drops one reference (any thread); the last one frees the blob. NULL: no-op. */
void kp_blob_unref(kp_blob *b);

#endif
