/* test_compress.c — codec round trips, Java-compatible framing, and hostile input to kp_decompress. */
#include <stdlib.h>

#include "kp_compress.h"
#include "kp_test.h"

static const kp_codec all_codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4, KP_CODEC_ZSTD};
#define N_CODECS (sizeof all_codecs / sizeof all_codecs[0])
/* A max_out that never gets in the way. */
#define ANY_LIMIT ((size_t)64 << 20)

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static void fill_random(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd32();
}

/* Record-like data: random runs, repeated words and zero runs, so each
 * codec's literal, match and long-match paths all get used. */
static void fill_mixed(uint8_t *p, size_t n) {
    static const char *words[] = {"kafka ", "producer ", "record ", "batch ", "{\"id\":", "linger.ms "};
    size_t i = 0;
    while (i < n) {
        size_t run = 1 + rnd32() % 4000;
        if (run > n - i) run = n - i;
        switch (rnd32() % 3) {
        case 0: fill_random(p + i, run); break;
        case 1:
            for (size_t k = 0; k < run; k++) {
                const char *w = words[(i + k) / 7 % 6];
                p[i + k] = (uint8_t)w[k % strlen(w)];
            }
            break;
        default: memset(p + i, 0, run); break;
        }
        i += run;
    }
}

static int compress_into(kp_compressor *c, kp_codec codec, int level, const void *in, size_t n, kp_buf *out) {
    char err[256] = "";
    int rc = kp_compress(c, codec, level, in, n, out, err, sizeof err);
    if (rc) fprintf(stderr, "  kp_compress(%s, %d, %zu bytes): %s\n", kp_codec_name(codec), level, n, err);
    return rc;
}

/* Decompresses and reports the error text into err (may be NULL). */
static int decompress_into(kp_compressor *c, kp_codec codec, const void *in, size_t n, kp_buf *out,
                           size_t max_out, char *err, size_t errlen) {
    char local[256];
    if (!err) {
        err = local;
        errlen = sizeof local;
    }
    err[0] = '\0';
    return kp_decompress(c, codec, in, n, out, max_out, err, errlen);
}

static void test_codec_names(void) {
    kp_codec c = KP_CODEC_NONE;
    for (size_t i = 0; i < N_CODECS; i++) {
        KP_CHECK_INT(kp_codec_from_name(kp_codec_name(all_codecs[i]), &c), 0);
        KP_CHECK_INT(c, all_codecs[i]);
    }
    KP_CHECK_STR(kp_codec_name(KP_CODEC_SNAPPY), "snappy");
    KP_CHECK_INT(kp_codec_from_name("ZSTD", &c), 0);
    KP_CHECK_INT(c, KP_CODEC_ZSTD);
    c = KP_CODEC_GZIP;
    KP_CHECK_INT(kp_codec_from_name("lzo", &c), -1);
    KP_CHECK_INT(kp_codec_from_name("", &c), -1);
    KP_CHECK_INT(kp_codec_from_name(NULL, &c), -1);
    KP_CHECK_INT(c, KP_CODEC_GZIP);
    KP_CHECK_STR(kp_codec_name((kp_codec)9), "unknown");
    /* The enum is the attributes field's compression bits. */
    KP_CHECK_INT(KP_CODEC_GZIP, 1);
    KP_CHECK_INT(KP_CODEC_SNAPPY, 2);
    KP_CHECK_INT(KP_CODEC_LZ4, 3);
    KP_CHECK_INT(KP_CODEC_ZSTD, 4);
}

static void test_level_ranges(void) {
    char err[128];
    for (size_t i = 0; i < N_CODECS; i++)
        KP_CHECK(kp_codec_level_valid(all_codecs[i], KP_LEVEL_DEFAULT, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_GZIP, 1, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_GZIP, 9, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_GZIP, -1, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_GZIP, 0, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_GZIP, 10, err, sizeof err));
    KP_CHECK(strstr(err, "gzip") && strstr(err, "1..9"));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_LZ4, 1, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_LZ4, 17, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_LZ4, 0, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_LZ4, 18, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_ZSTD, -131072, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_ZSTD, 0, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_ZSTD, 22, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_ZSTD, 23, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_ZSTD, -131073, err, sizeof err));
    /* Codecs without levels ignore whatever a codec-independent setting says. */
    KP_CHECK(kp_codec_level_valid(KP_CODEC_SNAPPY, 0, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_SNAPPY, 9, err, sizeof err));
    KP_CHECK(kp_codec_level_valid(KP_CODEC_NONE, 3, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid((kp_codec)7, KP_LEVEL_DEFAULT, err, sizeof err));
    KP_CHECK(!kp_codec_level_valid(KP_CODEC_GZIP, 99, NULL, 0)); /* no errstr is fine */

    /* kp_compress enforces the same ranges and leaves out untouched. */
    kp_compressor *c = kp_compressor_new();
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_buf_write(&out, "keep", 4);
    err[0] = '\0';
    KP_CHECK_INT(kp_compress(c, KP_CODEC_ZSTD, 40, "x", 1, &out, err, sizeof err), -1);
    KP_CHECK(strstr(err, "zstd") != NULL);
    KP_CHECK_INT(out.len, 4);
    KP_CHECK_INT(kp_compress(c, (kp_codec)5, KP_LEVEL_DEFAULT, "x", 1, &out, err, sizeof err), -1);
    KP_CHECK_INT(out.len, 4);
    KP_CHECK_INT(kp_compress(c, KP_CODEC_SNAPPY, 0, "x", 1, &out, err, sizeof err), 0);
    kp_buf_free(&out);
    kp_compressor_free(c);
}

/* Compresses after a prefix already in the buffer, decompresses after another
 * prefix, and checks both prefixes survive: callers append to frames. */
static void round_trip(kp_compressor *c, kp_codec codec, int level, const uint8_t *in, size_t n) {
    kp_buf z, plain;
    kp_buf_init(&z, 0);
    kp_buf_init(&plain, 0);
    kp_buf_write(&z, "HDR", 3);
    kp_buf_write(&plain, "hdr", 3);
    int ok = compress_into(c, codec, level, in, n, &z) == 0;
    KP_CHECK(ok);
    char err[256];
    if (ok) {
        int rc = decompress_into(c, codec, z.data + 3, z.len - 3, &plain, n, err, sizeof err);
        if (rc) fprintf(stderr, "  %s level %d, %zu bytes: %s\n", kp_codec_name(codec), level, n, err);
        KP_CHECK_INT(rc, 0);
        KP_CHECK_INT(plain.len, n + 3);
        KP_CHECK(plain.len == n + 3 && memcmp(plain.data + 3, in, n) == 0);
        KP_CHECK_MEM(z.data, "HDR", 3);
        KP_CHECK_MEM(plain.data, "hdr", 3);
    }
    kp_buf_free(&z);
    kp_buf_free(&plain);
}

static void test_round_trips(void) {
    size_t big = 1 << 20;
    uint8_t *random = malloc(big), *repetitive = malloc(big), *mixed = malloc(big);
    KP_CHECK(random && repetitive && mixed);
    if (!random || !repetitive || !mixed) goto out;
    fill_random(random, big);
    for (size_t i = 0; i < big; i++) repetitive[i] = (uint8_t)"0123456789abcdef"[i % 16];
    fill_mixed(mixed, big);

    const struct {
        const uint8_t *data;
        size_t len;
    } inputs[] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"x", 1}, {random, 100000},
                  {repetitive, 300000},      {mixed, big},               {random, 32768 * 3 + 1}};
    static const struct {
        kp_codec codec;
        int levels[4];
    } plans[] = {
        {KP_CODEC_NONE, {KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT}},
        {KP_CODEC_GZIP, {KP_LEVEL_DEFAULT, 1, 6, 9}},
        {KP_CODEC_SNAPPY, {KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT, KP_LEVEL_DEFAULT}},
        {KP_CODEC_LZ4, {KP_LEVEL_DEFAULT, 1, 9, 17}},
        {KP_CODEC_ZSTD, {KP_LEVEL_DEFAULT, -5, 1, 19}},
    };
    /* One compressor throughout, switching codec and level every call, as a
     * producer thread with per-topic settings would. */
    kp_compressor *c = kp_compressor_new();
    KP_CHECK(c != NULL);
    for (size_t p = 0; p < sizeof plans / sizeof plans[0]; p++)
        for (size_t l = 0; l < 4; l++)
            for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
                round_trip(c, plans[p].codec, plans[p].levels[l], inputs[i].data, inputs[i].len);
    /* Extremes of the zstd range, on a smaller input to keep the test quick. */
    round_trip(c, KP_CODEC_ZSTD, 22, mixed, 100000);
    round_trip(c, KP_CODEC_ZSTD, -131072, mixed, 100000);

    /* Compression actually happens on compressible data. */
    for (size_t k = 1; k < N_CODECS; k++) {
        kp_buf z;
        kp_buf_init(&z, 0);
        KP_CHECK_INT(compress_into(c, all_codecs[k], KP_LEVEL_DEFAULT, repetitive, 300000, &z), 0);
        KP_CHECK(z.len < 300000 / 10);
        kp_buf_free(&z);
    }
    kp_compressor_free(c);
out:
    free(random);
    free(repetitive);
    free(mixed);
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The bytes on the wire are what the Java client writes and expects. */
static void test_wire_formats(void) {
    kp_compressor *c = kp_compressor_new();
    uint8_t data[100000];
    fill_mixed(data, sizeof data);
    kp_buf z;
    kp_buf_init(&z, 0);

    KP_CHECK_INT(compress_into(c, KP_CODEC_GZIP, KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
    KP_CHECK(z.len > 18 && z.data[0] == 0x1f && z.data[1] == 0x8b && z.data[2] == 8); /* gzip, deflate */
    KP_CHECK_INT(le32(z.data + z.len - 4), sizeof data); /* ISIZE trailer */

    kp_buf_reset(&z);
    KP_CHECK_INT(compress_into(c, KP_CODEC_LZ4, KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
    KP_CHECK(z.len > 7);
    KP_CHECK_INT(le32(z.data), 0x184D2204);
    /* FLG: version 01, independent blocks, no block/content checksum, no size. */
    KP_CHECK_INT(z.data[4], 0x60);
    /* BD: 64 KiB maximum block size. */
    KP_CHECK_INT(z.data[5], 0x40);

    kp_buf_reset(&z);
    KP_CHECK_INT(compress_into(c, KP_CODEC_ZSTD, KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
    KP_CHECK_INT(le32(z.data), 0xFD2FB528);

    /* xerial: header, then one [length][block] per 32 KiB of input. */
    kp_buf_reset(&z);
    KP_CHECK_INT(compress_into(c, KP_CODEC_SNAPPY, KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    KP_CHECK(z.len > 16 && memcmp(z.data, header, 16) == 0);
    size_t pos = 16, blocks = 0;
    while (pos + 4 <= z.len) {
        pos += 4 + be32(z.data + pos);
        blocks++;
    }
    KP_CHECK_INT(pos, z.len);
    KP_CHECK_INT(blocks, 4); /* 32768 * 3 + 1696 */

    /* Empty input: the bare header, which decodes to nothing. */
    kp_buf_reset(&z);
    KP_CHECK_INT(compress_into(c, KP_CODEC_SNAPPY, KP_LEVEL_DEFAULT, "", 0, &z), 0);
    KP_CHECK_INT(z.len, 16);

    kp_buf_free(&z);
    kp_compressor_free(c);
}

/* Hand-assembled: two xerial blocks, a pure literal and a literal plus an
 * overlapping copy, so the decoder is checked against the format rather than
 * against our own encoder. */
static const uint8_t block_hello[] = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};
static const uint8_t block_abcd[] = {0x0c, 0x0c, 'a', 'b', 'c', 'd', 0x11, 0x04}; /* copy len 8, offset 4 */

static void test_snappy_known_frames(void) {
    kp_compressor *c = kp_compressor_new();
    kp_buf frame, out;
    kp_buf_init(&frame, 0);
    kp_buf_init(&out, 0);
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    kp_buf_write(&frame, header, sizeof header);
    kp_buf_i32(&frame, (int32_t)sizeof block_hello);
    kp_buf_write(&frame, block_hello, sizeof block_hello);
    kp_buf_i32(&frame, (int32_t)sizeof block_abcd);
    kp_buf_write(&frame, block_abcd, sizeof block_abcd);

    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, frame.data, frame.len, &out, 1000, NULL, 0), 0);
    KP_CHECK_INT(out.len, 17);
    KP_CHECK(out.len == 17 && memcmp(out.data, "helloabcdabcdabcd", 17) == 0);

    /* snappy-java's SnappyOutputStream output for "foobar\n": we decode it,
     * and our encoder writes the very same bytes. */
    static const uint8_t java_foobar[] = {0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0x00, 0x00,
                                          0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
                                          0x07, 0x18, 'f',  'o',  'o',  'b',  'a',  'r',  '\n'};
    kp_buf_reset(&out);
    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, java_foobar, sizeof java_foobar, &out, 1000, NULL, 0), 0);
    KP_CHECK(out.len == 7 && memcmp(out.data, "foobar\n", 7) == 0);
    kp_buf_reset(&out);
    KP_CHECK_INT(compress_into(c, KP_CODEC_SNAPPY, KP_LEVEL_DEFAULT, "foobar\n", 7, &out), 0);
    KP_CHECK(out.len == sizeof java_foobar && memcmp(out.data, java_foobar, sizeof java_foobar) == 0);

    /* The same blocks bare, as non-xerial producers send them. */
    kp_buf_reset(&out);
    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, block_abcd, sizeof block_abcd, &out, 1000, NULL, 0), 0);
    KP_CHECK(out.len == 12 && memcmp(out.data, "abcdabcdabcd", 12) == 0);
    kp_buf_reset(&out);
    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, block_hello, sizeof block_hello, &out, 1000, NULL, 0), 0);
    KP_CHECK(out.len == 5 && memcmp(out.data, "hello", 5) == 0);

    /* A bigger bare block from libsnappy's encoder: input under 32 KiB makes
     * a single xerial block, whose payload is exactly that. */
    static uint8_t data[30000];
    fill_mixed(data, sizeof data);
    kp_buf_reset(&frame);
    kp_buf_reset(&out);
    KP_CHECK_INT(compress_into(c, KP_CODEC_SNAPPY, KP_LEVEL_DEFAULT, data, 30000, &frame), 0);
    KP_CHECK_INT(be32(frame.data + 16), frame.len - 20);
    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, frame.data + 20, frame.len - 20, &out, 30000, NULL, 0), 0);
    KP_CHECK(out.len == 30000 && memcmp(out.data, data, 30000) == 0);

    kp_buf_free(&frame);
    kp_buf_free(&out);
    kp_compressor_free(c);
}

/* Exactly max_out bytes decode; one byte less is refused, for every codec,
 * and a highly compressible "bomb" stops at the limit. */
static void test_max_out(void) {
    kp_compressor *c = kp_compressor_new();
    size_t n = 100000;
    uint8_t *data = calloc(1, 4 << 20);
    KP_CHECK(data != NULL);
    if (!data) return;
    fill_mixed(data, n);
    for (size_t k = 0; k < N_CODECS; k++) {
        kp_buf z, out;
        kp_buf_init(&z, 0);
        kp_buf_init(&out, 0);
        char err[256];
        KP_CHECK_INT(compress_into(c, all_codecs[k], KP_LEVEL_DEFAULT, data, n, &z), 0);
        KP_CHECK_INT(decompress_into(c, all_codecs[k], z.data, z.len, &out, n, err, sizeof err), 0);
        KP_CHECK_INT(out.len, n);
        kp_buf_reset(&out);
        kp_buf_write(&out, "pre", 3);
        KP_CHECK_INT(decompress_into(c, all_codecs[k], z.data, z.len, &out, n - 1, err, sizeof err), -1);
        KP_CHECK(strstr(err, "exceeds") != NULL);
        KP_CHECK_INT(out.len, 3); /* nothing partial left behind */
        KP_CHECK(kp_buf_ok(&out));
        KP_CHECK_INT(decompress_into(c, all_codecs[k], z.data, z.len, &out, 0, err, sizeof err), -1);

        /* 4 MiB of zeros into a 64 KiB limit. */
        kp_buf_reset(&z);
        kp_buf_reset(&out);
        memset(data, 0, 4 << 20);
        KP_CHECK_INT(compress_into(c, all_codecs[k], KP_LEVEL_DEFAULT, data, 4 << 20, &z), 0);
        KP_CHECK_INT(decompress_into(c, all_codecs[k], z.data, z.len, &out, 65536, err, sizeof err), -1);
        KP_CHECK(out.len == 0 && out.cap <= (size_t)256 << 10); /* never allocated for the whole bomb */
        fill_mixed(data, n);
        kp_buf_free(&z);
        kp_buf_free(&out);
    }
    /* A bare snappy block claiming 4 GiB is refused before any allocation. */
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    kp_buf out;
    kp_buf_init(&out, 0);
    KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, huge, sizeof huge, &out, 1 << 20, NULL, 0), -1);
    KP_CHECK_INT(out.cap, 0);
    kp_buf_free(&out);
    free(data);
    kp_compressor_free(c);
}

/* Offsets at which a prefix of a snappy xerial stream is itself a complete
 * stream: the format has no end marker, so those cuts are undetectable. */
static int xerial_boundary(const kp_buf *z, size_t cut) {
    size_t pos = 16;
    if (cut == pos) return 1;
    while (pos + 4 <= z->len) {
        pos += 4 + be32(z->data + pos);
        if (cut == pos) return 1;
    }
    return 0;
}

/* Every proper prefix of a valid stream must be rejected, except where the
 * format itself cannot tell (xerial block boundaries). */
static void test_truncated_inputs(void) {
    kp_compressor *c = kp_compressor_new();
    uint8_t data[70000];
    fill_mixed(data, sizeof data);
    for (size_t k = 1; k < N_CODECS; k++) {
        kp_buf z, out;
        kp_buf_init(&z, 0);
        kp_buf_init(&out, 0);
        KP_CHECK_INT(compress_into(c, all_codecs[k], KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
        int accepted = 0;
        size_t step = z.len > 4000 ? 7 : 1;
        for (size_t cut = 0; cut < z.len; cut += (cut < 64 || z.len - cut < 64) ? 1 : step) {
            kp_buf_reset(&out);
            int rc = decompress_into(c, all_codecs[k], z.data, cut, &out, ANY_LIMIT, NULL, 0);
            if (rc == 0 && !(all_codecs[k] == KP_CODEC_SNAPPY && xerial_boundary(&z, cut))) {
                fprintf(stderr, "  %s accepted a %zu of %zu byte prefix\n", kp_codec_name(all_codecs[k]), cut, z.len);
                accepted++;
            }
            if (rc != 0) KP_CHECK_INT(out.len, 0);
        }
        KP_CHECK_INT(accepted, 0);
        /* The decoder context recovers for the next, valid, call. */
        kp_buf_reset(&out);
        KP_CHECK_INT(decompress_into(c, all_codecs[k], z.data, z.len, &out, sizeof data, NULL, 0), 0);
        KP_CHECK(out.len == sizeof data && memcmp(out.data, data, sizeof data) == 0);
        kp_buf_free(&z);
        kp_buf_free(&out);
    }
    kp_compressor_free(c);
}

/* Flipped bytes and garbage must never crash or overrun (ASan watches);
 * gzip, the one codec Kafka runs with a checksum, must never return wrong data. */
static void test_corrupt_inputs(void) {
    kp_compressor *c = kp_compressor_new();
    uint8_t data[20000];
    fill_mixed(data, sizeof data);
    for (size_t k = 1; k < N_CODECS; k++) {
        kp_codec codec = all_codecs[k];
        kp_buf z, bad, out;
        kp_buf_init(&z, 0);
        kp_buf_init(&bad, 0);
        kp_buf_init(&out, 0);
        KP_CHECK_INT(compress_into(c, codec, KP_LEVEL_DEFAULT, data, sizeof data, &z), 0);
        int gzip_wrong = 0, over_limit = 0;
        for (int trial = 0; trial < 400; trial++) {
            kp_buf_reset(&bad);
            kp_buf_write(&bad, z.data, z.len);
            /* gzip's header bytes 4..9 (mtime, flags, OS) are not
             * checked by anyone, so its flips start after them. */
            size_t from = codec == KP_CODEC_GZIP ? 10 : 0;
            int flips = 1 + (int)(rnd32() % 4);
            for (int f = 0; f < flips; f++)
                bad.data[from + rnd32() % (bad.len - from)] ^= (uint8_t)(1 + rnd32() % 255);
            kp_buf_reset(&out);
            int rc = decompress_into(c, codec, bad.data, bad.len, &out, sizeof data * 2, NULL, 0);
            /* Deflate has redundant encodings (any distance inside a zero
             * run copies the same bytes), so a flip may legitimately
             * decode; what the CRC guarantees is that it decodes right. */
            if (rc == 0 && codec == KP_CODEC_GZIP && (out.len != sizeof data || memcmp(out.data, data, sizeof data)))
                gzip_wrong++;
            if (out.len > sizeof data * 2) over_limit++;
        }
        KP_CHECK_INT(gzip_wrong, 0);
        KP_CHECK_INT(over_limit, 0);

        /* Pure garbage, with and without a valid-looking magic in front. */
        for (int trial = 0; trial < 300; trial++) {
            size_t n = rnd32() % 600;
            kp_buf_reset(&bad);
            if (trial & 1) kp_buf_write(&bad, z.data, z.len < 16 ? z.len : 16);
            for (size_t i = 0; i < n; i++) kp_buf_i8(&bad, (int8_t)rnd32());
            kp_buf_reset(&out);
            decompress_into(c, codec, bad.data, bad.len, &out, 1 << 20, NULL, 0);
            KP_CHECK(out.len <= 1 << 20);
        }
        kp_buf_free(&z);
        kp_buf_free(&bad);
        kp_buf_free(&out);
    }

    /* Hostile xerial block lengths: past the end, negative, and zero. */
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    static const int32_t lens[] = {0x7fffffff, -1, (int32_t)0x80000000, 8, 0};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        kp_buf f, out;
        kp_buf_init(&f, 0);
        kp_buf_init(&out, 0);
        kp_buf_write(&f, header, sizeof header);
        kp_buf_i32(&f, lens[i]);
        kp_buf_write(&f, block_hello, sizeof block_hello); /* 7 bytes: never what the length says */
        char err[256];
        KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, f.data, f.len, &out, 1 << 20, err, sizeof err), -1);
        KP_CHECK(strncmp(err, "snappy:", 7) == 0);
        /* A header with a torn length field. */
        KP_CHECK_INT(decompress_into(c, KP_CODEC_SNAPPY, f.data, 18, &out, 1 << 20, err, sizeof err), -1);
        KP_CHECK_INT(out.len, 0);
        kp_buf_free(&f);
        kp_buf_free(&out);
    }
    kp_compressor_free(c);
}

/* Several frames back to back decode to the concatenation, as Java reads them. */
static void test_concatenated_frames(void) {
    kp_compressor *c = kp_compressor_new();
    static const kp_codec codecs[] = {KP_CODEC_GZIP, KP_CODEC_LZ4, KP_CODEC_ZSTD};
    for (size_t k = 0; k < 3; k++) {
        kp_buf z, out;
        kp_buf_init(&z, 0);
        kp_buf_init(&out, 0);
        KP_CHECK_INT(compress_into(c, codecs[k], KP_LEVEL_DEFAULT, "first,", 6, &z), 0);
        KP_CHECK_INT(compress_into(c, codecs[k], KP_LEVEL_DEFAULT, "second", 6, &z), 0);
        KP_CHECK_INT(decompress_into(c, codecs[k], z.data, z.len, &out, 100, NULL, 0), 0);
        KP_CHECK(out.len == 12 && memcmp(out.data, "first,second", 12) == 0);
        /* Trailing garbage after a complete frame is corruption, not padding. */
        kp_buf_write(&z, "\x01\x02\x03", 3);
        kp_buf_reset(&out);
        KP_CHECK_INT(decompress_into(c, codecs[k], z.data, z.len, &out, 100, NULL, 0), -1);
        kp_buf_free(&z);
        kp_buf_free(&out);
    }
    kp_compressor_free(c);
}

static void test_empty_and_null(void) {
    kp_compressor *c = kp_compressor_new();
    kp_buf out;
    kp_buf_init(&out, 0);
    for (size_t k = 0; k < N_CODECS; k++) {
        /* Empty compressed input is not a valid stream, except for none. */
        int rc = decompress_into(c, all_codecs[k], NULL, 0, &out, 100, NULL, 0);
        KP_CHECK_INT(rc, all_codecs[k] == KP_CODEC_NONE ? 0 : -1);
        KP_CHECK_INT(out.len, 0);
        KP_CHECK_INT(compress_into(c, all_codecs[k], KP_LEVEL_DEFAULT, NULL, 0, &out), 0);
        kp_buf_reset(&out);
    }
    KP_CHECK_INT(decompress_into(c, KP_CODEC_NONE, "abc", 3, &out, 2, NULL, 0), -1);
    kp_buf_free(&out);
    kp_compressor_free(c);
    kp_compressor_free(NULL);
}

int main(void) {
    KP_RUN(test_codec_names);
    KP_RUN(test_level_ranges);
    KP_RUN(test_round_trips);
    KP_RUN(test_wire_formats);
    KP_RUN(test_snappy_known_frames);
    KP_RUN(test_max_out);
    KP_RUN(test_truncated_inputs);
    KP_RUN(test_corrupt_inputs);
    KP_RUN(test_concatenated_frames);
    KP_RUN(test_empty_and_null);
    return kp_test_report();
}
