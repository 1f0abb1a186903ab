/* kp_compress.h — Kafka's record batch codecs (gzip, snappy, lz4, zstd) behind one interface. */
#ifndef KP_COMPRESS_H
#define KP_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "kp_buf.h"

/* Values are the compression bits (0..2) of a record batch's attributes. */
typedef enum {
    KP_CODEC_NONE = 0,
    KP_CODEC_GZIP = 1,
    KP_CODEC_SNAPPY = 2,
    KP_CODEC_LZ4 = 3,
    KP_CODEC_ZSTD = 4,
} kp_codec;

/* "Use the codec's default level": gzip 6 (zlib's), lz4 fast mode, zstd 3. */
#define KP_LEVEL_DEFAULT INT32_MIN

/* Parses a compression.type value ("none", "gzip", "snappy", "lz4", "zstd",
 * case-insensitive) into *out. Returns 0, or -1 (and leaves *out alone). */
int kp_codec_from_name(const char *name, kp_codec *out);

/* "none", "gzip", ...; "unknown" for a value outside the enum. */
const char *kp_codec_name(kp_codec c);

/* Checks a level against Apache Kafka's ranges (KIP-390): gzip 1..9 (and -1,
 * which Java accepts as zlib's default), lz4 1..17, zstd ZSTD_minCLevel()..
 * ZSTD_maxCLevel() (-131072..22). KP_LEVEL_DEFAULT is valid for every codec;
 * none and snappy have no levels and accept (and ignore) any value. Returns 1
 * when valid; 0 with a message naming the codec and the range in errstr
 * otherwise. */
int kp_codec_level_valid(kp_codec c, int level, char *errstr, size_t errlen);

/* Reusable codec contexts (zstd CCtx/DCtx, zlib streams, LZ4F contexts),
 * created on a codec's first use and reset between calls, so steady-state
 * compression does not allocate. Not thread safe: one per thread. */
typedef struct kp_compressor kp_compressor;

/* Returns a new compressor (owned by the caller, freed with
 * kp_compressor_free), or NULL when out of memory. */
kp_compressor *kp_compressor_new(void);
/* Frees the compressor and every context it holds; NULL is a no-op. */
void kp_compressor_free(kp_compressor *c);

/* Appends the compressed form of in[0..inlen) to out, in the framing the Java
 * client writes: gzip a gzip stream, snappy xerial-framed 32 KiB blocks, lz4
 * an LZ4 frame of independent 64 KiB blocks, zstd a zstd frame; none copies.
 * Returns 0, or -1 with errstr set (invalid level, input over 2 GiB, codec or
 * allocation failure); on failure out->len is restored, though out may have
 * grown. */
int kp_compress(kp_compressor *c, kp_codec codec, int level, const void *in, size_t inlen, kp_buf *out,
                char *errstr, size_t errlen);

/* Appends the decompressed form of in[0..inlen) to out. Snappy input may be
 * xerial-framed or one raw snappy block; gzip, lz4 and zstd input may hold
 * several concatenated frames. Input is untrusted: corrupt or truncated data,
 * or output that would exceed max_out bytes, returns -1 with errstr set and
 * never reads or writes out of bounds. On failure out->len is restored.
 * Returns 0 on success. */
int kp_decompress(kp_compressor *c, kp_codec codec, const void *in, size_t inlen, kp_buf *out, size_t max_out,
                  char *errstr, size_t errlen);

#endif
