/* kp_hdr_codec.c — HdrHistogram's "V2 compressed" histogram encoding (zlib,
 * ZigZag LEB128 counts, base64) and its interval-log format. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "kp_buf.h"
#include "kp_hdr.h"

/* HdrHistogram's cookies; 0x10 in the low byte says "word size 1" (LEB128). */
#define V2_ENCODING_COOKIE (0x1c849303u | 0x10u)
#define V2_COMPRESSION_COOKIE (0x1c849304u | 0x10u)
#define ENCODING_HEADER_SIZE 40
#define MAX_DECODED (64u << 20)

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *p, size_t n) {
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = 0;
    return out;
}

/* Decodes base64 (padding optional, no whitespace) into a malloc'd buffer. */
static uint8_t *base64_decode(const char *s, size_t n, size_t *out_len) {
    while (n && s[n - 1] == '=') n--;
    uint8_t *out = malloc(n * 3 / 4 + 3);
    if (!out) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = s[i] ? strchr(b64, s[i]) : NULL;
        if (!c) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = len;
    return out;
}

/* The uncompressed V2 encoding. Counts are written up to the max value's
 * bucket; a run of N empty buckets is written as -N. Kafka's zigzag varint
 * (kp_buf_varint) is HdrHistogram's ZigZag LEB128 for every value below
 * 2^55, which counts never reach. */
static int encode_plain(const kp_hdr *h, kp_buf *out) {
    int32_t limit = kp_hdr_total(h) ? kp_hdr_counts_index_for(h, atomic_load(&h->max)) + 1 : 0;
    kp_buf_u32(out, V2_ENCODING_COOKIE);
    size_t payload_len_at = kp_buf_placeholder(out, 4);
    kp_buf_i32(out, 0); /* normalizing index offset */
    kp_buf_i32(out, h->sig_figs);
    kp_buf_i64(out, h->lowest);
    kp_buf_i64(out, h->highest);
    double ratio = 1.0;
    int64_t ratio_bits;
    memcpy(&ratio_bits, &ratio, sizeof ratio_bits);
    kp_buf_i64(out, ratio_bits);
    for (int32_t i = 0; i < limit;) {
        int64_t c = atomic_load_explicit(&h->counts[i++], memory_order_relaxed);
        if (c == 0) {
            int64_t zeros = 1;
            while (i < limit && atomic_load_explicit(&h->counts[i], memory_order_relaxed) == 0) zeros++, i++;
            c = -zeros;
        }
        kp_buf_varint(out, c);
    }
    kp_buf_patch_i32(out, payload_len_at, (int32_t)(out->len - ENCODING_HEADER_SIZE));
    return kp_buf_ok(out) ? 0 : -1;
}

char *kp_hdr_encode(const kp_hdr *h) {
    kp_buf plain, packed;
    char *text = NULL;
    kp_buf_init(&plain, 256);
    kp_buf_init(&packed, 256);
    if (encode_plain(h, &plain)) goto out;
    uLongf zlen = compressBound((uLong)plain.len);
    kp_buf_u32(&packed, V2_COMPRESSION_COOKIE);
    size_t len_at = kp_buf_placeholder(&packed, 4);
    if (kp_buf_reserve(&packed, zlen)) goto out;
    if (compress(packed.data + packed.len, &zlen, plain.data, (uLong)plain.len) != Z_OK) goto out;
    packed.len += zlen;
    kp_buf_patch_i32(&packed, len_at, (int32_t)zlen);
    if (kp_buf_ok(&packed)) text = base64_encode(packed.data, packed.len);
out:
    kp_buf_free(&plain);
    kp_buf_free(&packed);
    return text;
}

/* Inflates src into a malloc'd buffer (at most MAX_DECODED bytes). */
static uint8_t *inflate_all(const uint8_t *src, size_t n, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)n;
    int rc = Z_OK;
    while (out && rc == Z_OK) {
        if (len == cap) {
            uint8_t *bigger = cap < MAX_DECODED ? realloc(out, cap * 2) : NULL;
            if (!bigger) break;
            out = bigger;
            cap *= 2;
        }
        zs.next_out = out + len;
        zs.avail_out = (uInt)(cap - len);
        rc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = len;
    return out;
}

kp_hdr *kp_hdr_decode(const char *text, size_t text_len, char *errstr, size_t errlen) {
    size_t packed_len = 0, plain_len = 0;
    uint8_t *packed = base64_decode(text, text_len, &packed_len), *plain = NULL;
    kp_hdr *h = NULL;
    kp_reader r;
    if (!packed) {
        snprintf(errstr, errlen, "histogram: not base64");
        goto err;
    }
    kp_reader_init(&r, packed, packed_len);
    uint32_t cookie = kp_rd_u32(&r);
    int32_t zlen = kp_rd_i32(&r);
    if (r.err || cookie != V2_COMPRESSION_COOKIE || zlen < 0 || (size_t)zlen > kp_rd_remaining(&r)) {
        snprintf(errstr, errlen, "histogram: not HdrHistogram's V2 compressed encoding (cookie 0x%08x)", cookie);
        goto err;
    }
    plain = inflate_all(r.p, (size_t)zlen, &plain_len);
    if (!plain) {
        snprintf(errstr, errlen, "histogram: the DEFLATE stream is corrupt");
        goto err;
    }
    kp_reader_init(&r, plain, plain_len);
    cookie = kp_rd_u32(&r);
    int32_t payload_len = kp_rd_i32(&r), offset = kp_rd_i32(&r), sig = kp_rd_i32(&r);
    int64_t lowest = kp_rd_i64(&r), highest = kp_rd_i64(&r);
    kp_rd_i64(&r); /* conversion ratio: kprod's histograms hold integers */
    if (r.err || cookie != V2_ENCODING_COOKIE || offset != 0 || payload_len < 0 ||
        (size_t)payload_len != kp_rd_remaining(&r)) {
        snprintf(errstr, errlen, "histogram: bad V2 encoding header (cookie 0x%08x)", cookie);
        goto err;
    }
    h = kp_hdr_new(lowest, highest, sig);
    if (!h) {
        snprintf(errstr, errlen, "histogram: unusable range %lld..%lld, %d digits",
                 (long long)lowest, (long long)highest, sig);
        goto err;
    }
    int64_t i = 0;
    while (kp_rd_remaining(&r) && !r.err) {
        int64_t c = kp_rd_varint(&r);
        if (c < 0) i -= c;
        else if (i < h->counts_len) atomic_store(&h->counts[i++], c);
        else i = INT64_MAX;
        if (i > h->counts_len) break;
    }
    if (r.err || i > h->counts_len) {
        snprintf(errstr, errlen, "histogram: counts overrun the histogram's %d buckets", h->counts_len);
        goto err;
    }
    kp_hdr_recount(h);
    free(packed);
    free(plain);
    return h;
err:
    kp_hdr_free(h);
    free(packed);
    free(plain);
    return NULL;
}

int kp_hdr_log_header(FILE *f, double start_epoch_s, const char *comment) {
    char when[64];
    time_t t = (time_t)start_epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%a %b %d %H:%M:%S UTC %Y", &tm);
    if (comment) fprintf(f, "#[%s]\n", comment);
    fprintf(f, "#[Histogram log format version 1.3]\n");
    fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s]\n", start_epoch_s, when);
    fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", start_epoch_s);
    return fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n") < 0 ? -1 : 0;
}

int kp_hdr_log_interval(FILE *f, const char *tag, double start_s, double length_s, const kp_hdr *h) {
    char *text = kp_hdr_encode(h);
    if (!text) return -1;
    int rc = fprintf(f, "%s%s%s%.3f,%.3f,%.3f,%s\n", tag ? "Tag=" : "", tag ? tag : "", tag ? "," : "",
                     start_s, length_s, (double)kp_hdr_max(h) / 1000.0, text);
    free(text);
    return rc < 0 ? -1 : 0;
}
