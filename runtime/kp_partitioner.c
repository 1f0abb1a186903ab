/* kp_partitioner.c — key hashes (murmur2, CRC-32, FNV-1a) and sticky, round-robin and random placement. */
#include "kp_partitioner.h"

#include <limits.h>
#include <zlib.h>

int32_t kp_murmur2(const void *key, size_t len) {
    /* Java does this arithmetic on signed ints that wrap; uint32_t wraps the
     * same way without undefined behaviour, and >>> is a plain unsigned shift. */
    const uint8_t *data = key;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t len4 = len / 4;

    for (size_t i = 0; i < len4; i++) {
        const uint8_t *p = data + i * 4;
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }

    const uint8_t *tail = data + (len & ~(size_t)3);
    switch (len % 4) {
    case 3: h ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: h ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        h ^= tail[0];
        h *= m;
    }

    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t kp_partition_murmur2(const void *key, size_t len, int32_t partition_count) {
    if (partition_count <= 0) return -1;
    return (int32_t)(((uint32_t)kp_murmur2(key, len) & 0x7fffffffu) % (uint32_t)partition_count);
}

uint32_t kp_fnv1a32(const void *key, size_t len) {
    const uint8_t *data = key;
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 0x01000193u;
    }
    return h;
}

int32_t kp_partition_fnv1a(const void *key, size_t len, int32_t partition_count) {
    if (partition_count <= 0) return -1;
    /* Sarama: int32(h) % n, then negate a negative result. |int32(h) % n| is
     * |int32(h)| % n, and |int32(h)| fits in a uint32 even for INT32_MIN. */
    uint32_t h = kp_fnv1a32(key, len);
    uint32_t magnitude = (h & 0x80000000u) ? (~h + 1u) : h;
    return (int32_t)(magnitude % (uint32_t)partition_count);
}

int32_t kp_partition_consistent(const void *key, size_t len, int32_t partition_count) {
    if (partition_count <= 0) return -1;
    const Bytef *p = key;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) { /* zlib takes uInt lengths */
        uInt chunk = len > UINT_MAX ? UINT_MAX : (uInt)len;
        crc = crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (int32_t)((uint32_t)crc % (uint32_t)partition_count);
}

uint32_t kp_rand32(uint32_t *rng) {
    uint32_t z = (*rng += 0x6d2b79f5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}

/* Uniform in [0, n) by multiply-shift; the bias is below n / 2^32. */
static uint32_t rand_below(uint32_t *rng, uint32_t n) {
    return (uint32_t)(((uint64_t)kp_rand32(rng) * n) >> 32);
}

int32_t kp_partition_random(int32_t partition_count, uint32_t *rng) {
    if (partition_count <= 0) return -1;
    return (int32_t)rand_below(rng, (uint32_t)partition_count);
}

int32_t kp_partition_round_robin(kp_round_robin *rr, int32_t partition_count) {
    if (partition_count <= 0) return -1;
    return (int32_t)(rr->next++ % (uint32_t)partition_count);
}

int32_t kp_sticky_partition(kp_sticky *s, int32_t partition_count, uint32_t *rng) {
    if (partition_count <= 0) return -1;
    if (s->current < 0 || s->current >= partition_count)
        s->current = kp_partition_random(partition_count, rng);
    return s->current;
}

int32_t kp_sticky_next(kp_sticky *s, int32_t partition_count, uint32_t *rng) {
    if (partition_count <= 0) return -1;
    if (partition_count == 1 || s->current < 0 || s->current >= partition_count) {
        s->current = kp_partition_random(partition_count, rng);
        return s->current;
    }
    /* Draw from the n-1 other partitions: skip over the current one. */
    int32_t p = (int32_t)rand_below(rng, (uint32_t)partition_count - 1);
    s->current = p >= s->current ? p + 1 : p;
    return s->current;
}

int32_t kp_partition_choose(kp_partitioner_kind kind, const void *key, size_t len,
                            int32_t partition_count, kp_placement *st) {
    if (partition_count <= 0) return -1;
    if (kind == KP_PARTITIONER_RANDOM) return kp_partition_random(partition_count, &st->rng);
    if (kind == KP_PARTITIONER_ROUND_ROBIN)
        return kp_partition_round_robin(&st->round_robin, partition_count);

    int null_key = key == NULL || (kind == KP_PARTITIONER_CONSISTENT_RANDOM && len == 0);
    if (null_key) return kp_sticky_partition(&st->sticky, partition_count, &st->rng);

    switch (kind) {
    case KP_PARTITIONER_CONSISTENT:
    case KP_PARTITIONER_CONSISTENT_RANDOM:
        return kp_partition_consistent(key, len, partition_count);
    case KP_PARTITIONER_FNV1A:
    case KP_PARTITIONER_FNV1A_RANDOM:
        return kp_partition_fnv1a(key, len, partition_count);
    default:
        return kp_partition_murmur2(key, len, partition_count);
    }
}
