/* kp_crc32c.c — CRC-32C: SSE4.2 instruction (3-way interleaved) on x86_64, slicing-by-8 tables elsewhere. */
#include "kp_crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KP_CRC32C_HW 1
#include <nmmintrin.h>
#else
#define KP_CRC32C_HW 0
#endif

/* Castagnoli polynomial 0x1EDC6F41, bit-reflected as the register holds it. */
#define POLY 0x82f63b78u

/* table[k][b]: register contribution of byte b followed by k zero bytes. */
static uint32_t table[8][256];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static uint32_t sw_update(uint32_t crc, const uint8_t *p, size_t len) {
    /* Bytes are assembled explicitly so the loop is endian-independent;
     * compilers fold this into a single load on little-endian targets. */
    while (len >= 8) {
        crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        crc = table[7][crc & 0xff] ^ table[6][(crc >> 8) & 0xff] ^ table[5][(crc >> 16) & 0xff] ^
              table[4][crc >> 24] ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

/* a * b modulo POLY, both in the register's reflected bit order. */
static uint32_t multmodp(uint32_t a, uint32_t b) {
    uint32_t p = 0;
    for (int i = 0; i < 32; i++) {
        if (a & (0x80000000u >> i)) p ^= b;
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

/* x^(8n) mod POLY: multiplying a register by it appends n zero bytes. */
static uint32_t x8nmodp(size_t n) {
    uint32_t result = 0x80000000u; /* x^0 */
    uint32_t square = 0x00800000u; /* x^8 */
    while (n) {
        if (n & 1) result = multmodp(square, result);
        square = multmodp(square, square);
        n >>= 1;
    }
    return result;
}

#if KP_CRC32C_HW
/* Three streams keep the crc32 instruction busy: its latency is three cycles
 * but it can start one per cycle. The long stride amortises the cost of
 * merging the streams; the short stride covers buffers of a few hundred bytes
 * (typical small batches). */
#define LONG_STRIDE 8192
#define SHORT_STRIDE 256

/* shift_*[k][b]: byte k of a register equal to b, advanced over one stride of
 * zero bytes. Shifting a whole register is the XOR of its four bytes' entries. */
static uint32_t shift_long[4][256], shift_short[4][256];
static int have_sse42;

static void build_shift(uint32_t t[4][256], size_t stride) {
    uint32_t op = x8nmodp(stride);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++) t[k][b] = multmodp(op, b << (8 * k));
}

static inline uint32_t shift(uint32_t t[4][256], uint32_t crc) {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Consumes as many 3*stride chunks as fit, each as three parallel streams
 * merged by shifting the earlier ones past the later ones. */
__attribute__((target("sse4.2"))) static inline uint64_t hw_3way(uint64_t c0, const uint8_t **pp,
                                                                 size_t *len, size_t stride,
                                                                 uint32_t t[4][256]) {
    const uint8_t *p = *pp;
    while (*len >= 3 * stride) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + stride;
        do {
            c0 = _mm_crc32_u64(c0, load64(p));
            c1 = _mm_crc32_u64(c1, load64(p + stride));
            c2 = _mm_crc32_u64(c2, load64(p + 2 * stride));
            p += 8;
        } while (p < end);
        c0 = shift(t, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift(t, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * stride;
        *len -= 3 * stride;
    }
    *pp = p;
    return c0;
}

__attribute__((target("sse4.2"))) static uint32_t hw_update(uint32_t crc, const uint8_t *p, size_t len) {
    uint64_t c0 = crc;
    /* Aligned 8-byte loads avoid split cache-line accesses in the hot loop. */
    while (len && ((uintptr_t)p & 7)) {
        c0 = _mm_crc32_u8((uint32_t)c0, *p++);
        len--;
    }
    c0 = hw_3way(c0, &p, &len, LONG_STRIDE, shift_long);
    c0 = hw_3way(c0, &p, &len, SHORT_STRIDE, shift_short);
    while (len >= 8) {
        c0 = _mm_crc32_u64(c0, load64(p));
        p += 8;
        len -= 8;
    }
    while (len--) c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    return (uint32_t)c0;
}
#endif

static void init_tables(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = table[0][b];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][b] = c;
        }
    }
#if KP_CRC32C_HW
    build_shift(shift_long, LONG_STRIDE);
    build_shift(shift_short, SHORT_STRIDE);
    /* Needed when the first call comes from another constructor. */
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

uint32_t kp_crc32c_sw(uint32_t crc, const void *data, size_t len) {
    if (len == 0) return crc;
    pthread_once(&init_once, init_tables);
    return ~sw_update(~crc, data, len);
}

uint32_t kp_crc32c(uint32_t crc, const void *data, size_t len) {
    if (len == 0) return crc;
    pthread_once(&init_once, init_tables);
#if KP_CRC32C_HW
    if (have_sse42) return ~hw_update(~crc, data, len);
#endif
    return ~sw_update(~crc, data, len);
}

kp_crc32c_piece kp_crc32c_piece_of(const void *data, size_t len) {
    return (kp_crc32c_piece){kp_crc32c(0, data, len), x8nmodp(len)};
}

uint32_t kp_crc32c_append_piece(uint32_t crc, kp_crc32c_piece piece) {
    return multmodp(piece.op, crc) ^ piece.crc;
}

int kp_crc32c_hw_available(void) {
    pthread_once(&init_once, init_tables);
#if KP_CRC32C_HW
    return have_sse42;
#else
    return 0;
#endif
}
