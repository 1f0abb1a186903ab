/* test_crc32c.c — CRC-32C against published vectors, a bitwise reference, and hardware vs tables. */
#include <stdlib.h>

#include "kp_crc32c.h"
#include "kp_test.h"

/* One bit at a time, straight from the definition: shares no code or table
 * with the implementation under test. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len) {
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint8_t rnd8(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

static void check_both(const void *data, size_t len, uint32_t want) {
    KP_CHECK_INT(kp_crc32c(0, data, len), want);
    KP_CHECK_INT(kp_crc32c_sw(0, data, len), want);
}

static void test_known_vectors(void) {
    check_both("123456789", 9, 0xE3069283u);
    check_both("", 0, 0);
    check_both("a", 1, 0xC1D04330u);

    /* RFC 3720 appendix B.4. */
    uint8_t b[48];
    memset(b, 0, 32);
    check_both(b, 32, 0x8A9136AAu);
    memset(b, 0xff, 32);
    check_both(b, 32, 0x62A8AB43u);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
    check_both(b, 32, 0x46DD794Eu);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)(31 - i);
    check_both(b, 32, 0x113FDB5Cu);
    static const uint8_t iscsi_read[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    check_both(iscsi_read, sizeof iscsi_read, 0xD9963A56u);
}

/* Every length 0..300 at every start offset 0..15, so each alignment prologue,
 * 8-byte body and tail combination of both paths is exercised. */
static void test_all_short_lengths_and_offsets(void) {
    uint8_t buf[320];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = rnd8();
    int bad = 0;
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len + off <= sizeof buf && len <= 300; len++) {
            uint32_t want = crc32c_bitwise(0, buf + off, len);
            if (kp_crc32c(0, buf + off, len) != want || kp_crc32c_sw(0, buf + off, len) != want) bad++;
        }
    }
    KP_CHECK_INT(bad, 0);
}

/* Lengths around the 3-way strides (3*256 and 3*8192) and far beyond them,
 * where the stream-merging shifts are used. */
static void test_long_buffers(void) {
    size_t cap = 200000 + 16;
    uint8_t *buf = malloc(cap);
    KP_CHECK(buf != NULL);
    if (!buf) return;
    for (size_t i = 0; i < cap; i++) buf[i] = rnd8();
    static const size_t lens[] = {767,   768,   769,   1024,  3 * 256 * 2 + 5, 24575, 24576,
                                  24577, 24583, 50000, 65536, 99999,           200000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (size_t off = 0; off < 9; off += 3) {
            uint32_t want = crc32c_bitwise(0, buf + off, lens[i]);
            KP_CHECK_INT(kp_crc32c(0, buf + off, lens[i]), want);
            KP_CHECK_INT(kp_crc32c_sw(0, buf + off, lens[i]), want);
        }
    }
    free(buf);
}

/* Feeding pieces one after another, or appending their kp_crc32c_piece,
 * equals one call over the whole. */
static void test_chaining(void) {
    uint8_t buf[30000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = rnd8();
    uint32_t whole = crc32c_bitwise(0, buf, sizeof buf);
    static const size_t cuts[] = {0, 1, 7, 8, 255, 256, 4097, 24576, 29999, 30000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t c = cuts[i];
        KP_CHECK_INT(kp_crc32c(kp_crc32c(0, buf, c), buf + c, sizeof buf - c), whole);
        KP_CHECK_INT(kp_crc32c_sw(kp_crc32c_sw(0, buf, c), buf + c, sizeof buf - c), whole);
        /* A piece appended without its bytes gives the same CRC, from any
         * starting CRC, zero-length pieces included. */
        kp_crc32c_piece tail = kp_crc32c_piece_of(buf + c, sizeof buf - c);
        KP_CHECK_INT(tail.crc, crc32c_bitwise(0, buf + c, sizeof buf - c));
        KP_CHECK_INT(kp_crc32c_append_piece(kp_crc32c(0, buf, c), tail), whole);
        uint32_t head = kp_crc32c(0x9e3779b9u, buf, 3);
        KP_CHECK_INT(kp_crc32c_append_piece(head, kp_crc32c_piece_of(buf, c)), kp_crc32c(head, buf, c));
    }
    /* Byte at a time through the hardware path, to stress the continuation. */
    uint32_t crc = 0;
    for (size_t i = 0; i < 1000; i++) crc = kp_crc32c(crc, buf + i, 1);
    KP_CHECK_INT(crc, crc32c_bitwise(0, buf, 1000));
    KP_CHECK_INT(kp_crc32c(0x12345678u, NULL, 0), 0x12345678u);
}

int main(void) {
    fprintf(stderr, "crc32c path: %s\n", kp_crc32c_hw_available() ? "sse4.2" : "tables");
    KP_RUN(test_known_vectors);
    KP_RUN(test_all_short_lengths_and_offsets);
    KP_RUN(test_long_buffers);
    KP_RUN(test_chaining);
    return kp_test_report();
}
