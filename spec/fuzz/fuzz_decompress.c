/* fuzz_decompress.c — libFuzzer target: kp_decompress for each codec on
 * untrusted bytes. The first byte picks the codec (n % 5) and the output
 * limit (64 B << 2(n / 5 % 8), 64 B to 1 MiB). Output must stay within the
 * limit, be appended after what the buffer held (restored on failure), and
 * compress and decompress back to itself. */
#include "fuzz.h"
#include "kp_compress.h"

#define PREFIX "kept"
#define ROUND_TRIP_MAX (64 * 1024) /* bigger outputs skip the round trip: speed */

static kp_compressor *cz; /* reused across inputs, as the producer reuses one */

static void round_trip(kp_codec codec, const uint8_t *plain, size_t len) {
    char err[256];
    kp_buf z, back;
    kp_buf_init(&z, 0);
    kp_buf_init(&back, 0);
    FUZZ_CHECK(kp_compress(cz, codec, KP_LEVEL_DEFAULT, plain, len, &z, err, sizeof err) == 0,
               "whatever decompressed can be compressed");
    FUZZ_CHECK(kp_decompress(cz, codec, z.data, z.len, &back, len, err, sizeof err) == 0,
               "what we compressed decompresses");
    FUZZ_CHECK(back.len == len && (len == 0 || memcmp(back.data, plain, len) == 0),
               "compress then decompress gives the bytes back");
    kp_buf_free(&z);
    kp_buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    if (!cz && !(cz = kp_compressor_new())) abort();
    kp_codec codec = (kp_codec)(data[0] % 5);
    size_t max_out = (size_t)64 << (2 * (data[0] / 5 % 8));
    char err[256] = "";
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_buf_write(&out, PREFIX, sizeof PREFIX - 1);
    int rc = kp_decompress(cz, codec, data + 1, size - 1, &out, max_out, err, sizeof err);
    FUZZ_CHECK(memcmp(out.data, PREFIX, sizeof PREFIX - 1) == 0, "output is appended, never over");
    size_t produced = out.len - (sizeof PREFIX - 1);
    if (rc) {
        FUZZ_CHECK(rc == -1 && err[0], "a rejected input says why");
        FUZZ_CHECK(produced == 0, "a failed decompression restores out->len");
    } else {
        FUZZ_CHECK(produced <= max_out, "output stays within max_out");
        fuzz_touch(out.data, out.len);
        if (produced <= ROUND_TRIP_MAX) round_trip(codec, out.data + sizeof PREFIX - 1, produced);
    }
    kp_buf_free(&out);
    return 0;
}
