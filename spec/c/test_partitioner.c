/* test_partitioner.c — key hashes match Java, librdkafka and Sarama; placement stays in range; sticky switches. */
#include "kp_partitioner.h"
#include "kp_test.h"

#include <stdint.h>
#include <zlib.h>

static const int32_t partition_counts[] = {1, 2, 3, 7, 12, 48, 100, 1000, INT32_MAX};
#define N_COUNTS (sizeof partition_counts / sizeof partition_counts[0])

/* Key i of a deterministic set that covers every length mod 4 and high bytes. */
static size_t make_key(int i, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "key-%d-%c", i, (char)(0x80 + i % 128));
    return (size_t)n - (size_t)(i % 4); /* vary the tail length */
}

static void test_murmur2_java_vectors(void) {
    /* Kafka clients/src/test/.../utils/UtilsTest.testMurmur2 */
    static const struct { const char *in; int32_t want; uint32_t positive; } v[] = {
        {"21", -973932308, 1173551340u},
        {"foobar", -790332482, 1357151166u},
        {"a-little-bit-long-string", -985981536, 1161502112u},
        {"a-little-bit-longer-string", -1486304829, 661178819u},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 2088585677u},
        {"abc", 479470107, 479470107u},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        KP_CHECK_INT(kp_murmur2(v[i].in, strlen(v[i].in)), v[i].want);
        for (size_t c = 0; c < N_COUNTS; c++)
            KP_CHECK_INT(kp_partition_murmur2(v[i].in, strlen(v[i].in), partition_counts[c]),
                         v[i].positive % (uint32_t)partition_counts[c]);
    }
}

/* The keys of librdkafka's unittest_murmur2 and unittest_fnv1a (src/rdmurmur2.c,
 * src/rdfnv1a.c): every tail length, aligned and unaligned. */
static const char rdk_short[] = "1234", rdk_long[] = "PreAmbleWillBeRemoved,ThePrePartThatIs";
static const char *const rdk_keys[] = {
    "kafka", "giberish123456789", rdk_short, rdk_short + 1, rdk_short + 2, rdk_short + 3,
    rdk_long, rdk_long + 1, rdk_long + 2, rdk_long + 3, "",
};
#define N_RDK_KEYS (sizeof rdk_keys / sizeof rdk_keys[0])

static void test_murmur2_librdkafka_vectors(void) {
    static const uint32_t java_murmur2[N_RDK_KEYS] = {
        0xd067cf64u, 0x8f552b0cu, 0x9fc97b14u, 0xe7c009cau, 0x873930dau, 0x5a4b5ca1u,
        0x78424f1cu, 0x4a62b377u, 0xe0e4e09eu, 0x62b8b43fu, 0x106e08d9u,
    };
    for (size_t i = 0; i < N_RDK_KEYS; i++)
        KP_CHECK_INT((uint32_t)kp_murmur2(rdk_keys[i], strlen(rdk_keys[i])), java_murmur2[i]);
    KP_CHECK_INT((uint32_t)kp_murmur2(NULL, 0), 0x106e08d9u);
}

static void test_fnv1a_vectors(void) {
    KP_CHECK_INT(kp_fnv1a32("", 0), 0x811c9dc5u);
    KP_CHECK_INT(kp_fnv1a32(NULL, 0), 0x811c9dc5u);
    KP_CHECK_INT(kp_fnv1a32("a", 1), 0xe40c292cu);
    KP_CHECK_INT(kp_fnv1a32("foobar", 6), 0xbf9cf968u);

    /* |int32(fnv1a)| from Go (librdkafka's expectations): the value its
     * Sarama-compatible fnv1a partitioner takes modulo n. */
    static const uint32_t go_abs_fnv1a[N_RDK_KEYS] = {
        0xd33c4e1u, 0x77a58295u, 0x23bdd03u, 0x2dea3cd2u, 0x740fa83eu, 0x310ca263u,
        0x65cbd69cu, 0x6e49c79au, 0x69eed356u, 0x6abcc023u, 0x7ee3623bu,
    };
    for (size_t i = 0; i < N_RDK_KEYS; i++)
        for (size_t c = 0; c < N_COUNTS; c++)
            KP_CHECK_INT(kp_partition_fnv1a(rdk_keys[i], strlen(rdk_keys[i]), partition_counts[c]),
                         go_abs_fnv1a[i] % (uint32_t)partition_counts[c]);
}

/* Sarama's hashPartitioner.Partition, transcribed: int32 % then negate. */
static int32_t sarama_hash_partition(uint32_t h, int32_t n) {
    int32_t p = (int32_t)h % n;
    return p < 0 ? -p : p;
}

static void test_fnv1a_matches_sarama(void) {
    char buf[64];
    int mismatches = 0;
    for (int i = 0; i < 1000; i++) {
        size_t len = make_key(i, buf, sizeof buf);
        for (size_t c = 0; c < N_COUNTS; c++)
            if (kp_partition_fnv1a(buf, len, partition_counts[c]) !=
                sarama_hash_partition(kp_fnv1a32(buf, len), partition_counts[c]))
                mismatches++;
    }
    KP_CHECK_INT(mismatches, 0);
    /* the one hash whose absolute value does not fit an int32 */
    KP_CHECK_INT(sarama_hash_partition(0x80000000u, 7), (int32_t)(2147483648u % 7));
}

static void test_consistent_matches_zlib_crc32(void) {
    KP_CHECK_INT(crc32(0L, (const Bytef *)"123456789", 9), 0xcbf43926u); /* CRC-32 check value */
    KP_CHECK_INT(kp_partition_consistent("123456789", 9, 1000), 0xcbf43926u % 1000);
    KP_CHECK_INT(kp_partition_consistent("", 0, 7), 0); /* empty key: crc 0 */
    KP_CHECK_INT(kp_partition_consistent(NULL, 0, 7), 0);

    char buf[64];
    int mismatches = 0;
    for (int i = 0; i < 1000; i++) {
        size_t len = make_key(i, buf, sizeof buf);
        uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)len);
        for (size_t c = 0; c < N_COUNTS; c++)
            if (kp_partition_consistent(buf, len, partition_counts[c]) !=
                (int32_t)(crc % (uint32_t)partition_counts[c]))
                mismatches++;
    }
    KP_CHECK_INT(mismatches, 0);
}

static void test_placement_in_range(void) {
    char buf[64];
    uint32_t rng = 42;
    kp_round_robin rr = {0};
    int out_of_range = 0;
    for (int i = 0; i < 1000; i++) {
        size_t len = make_key(i, buf, sizeof buf);
        for (size_t c = 0; c < N_COUNTS; c++) {
            int32_t n = partition_counts[c];
            int32_t got[] = {
                kp_partition_murmur2(buf, len, n), kp_partition_fnv1a(buf, len, n),
                kp_partition_consistent(buf, len, n), kp_partition_random(n, &rng),
                kp_partition_round_robin(&rr, n),
            };
            for (size_t k = 0; k < sizeof got / sizeof got[0]; k++)
                if (got[k] < 0 || got[k] >= n) out_of_range++;
        }
    }
    KP_CHECK_INT(out_of_range, 0);

    /* no partitions known yet */
    kp_sticky s;
    kp_sticky_init(&s);
    KP_CHECK_INT(kp_partition_murmur2("a", 1, 0), -1);
    KP_CHECK_INT(kp_partition_fnv1a("a", 1, -3), -1);
    KP_CHECK_INT(kp_partition_consistent("a", 1, 0), -1);
    KP_CHECK_INT(kp_partition_random(0, &rng), -1);
    KP_CHECK_INT(kp_partition_round_robin(&rr, 0), -1);
    KP_CHECK_INT(kp_sticky_partition(&s, 0, &rng), -1);
    KP_CHECK_INT(kp_sticky_next(&s, 0, &rng), -1);
}

static void test_random_and_round_robin_cover_all(void) {
    uint32_t rng = 0; /* zero is a fine seed */
    int hits[8] = {0};
    for (int i = 0; i < 8000; i++) hits[kp_partition_random(8, &rng)]++;
    for (int p = 0; p < 8; p++) KP_CHECK(hits[p] > 800 && hits[p] < 1200);

    kp_round_robin rr = {0};
    for (int i = 0; i < 10; i++) KP_CHECK_INT(kp_partition_round_robin(&rr, 4), i % 4);
}

static void test_sticky_switches(void) {
    uint32_t rng = 7;
    kp_sticky s;
    kp_sticky_init(&s);
    int32_t first = kp_sticky_partition(&s, 6, &rng);
    KP_CHECK(first >= 0 && first < 6);
    for (int i = 0; i < 100; i++) KP_CHECK_INT(kp_sticky_partition(&s, 6, &rng), first);

    int same = 0, seen[6] = {0};
    for (int i = 0; i < 1000; i++) {
        int32_t before = kp_sticky_partition(&s, 6, &rng);
        int32_t after = kp_sticky_next(&s, 6, &rng);
        if (after == before) same++;
        if (after >= 0 && after < 6) seen[after]++;
        KP_CHECK_INT(kp_sticky_partition(&s, 6, &rng), after);
    }
    KP_CHECK_INT(same, 0);
    for (int p = 0; p < 6; p++) KP_CHECK(seen[p] > 0);

    for (int i = 0; i < 20; i++) { /* two partitions: strictly alternates */
        int32_t before = kp_sticky_partition(&s, 2, &rng);
        KP_CHECK_INT(kp_sticky_next(&s, 2, &rng), 1 - before);
    }
    KP_CHECK_INT(kp_sticky_next(&s, 1, &rng), 0); /* nowhere else to go */

    s.current = 9; /* the topic shrank under the sticky partition */
    int32_t p = kp_sticky_partition(&s, 3, &rng);
    KP_CHECK(p >= 0 && p < 3);
}

static void test_choose(void) {
    kp_placement st = {.rng = 3};
    kp_sticky_init(&st.sticky);

    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_DEFAULT, "foobar", 6, 12, &st),
                 1357151166u % 12);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_MURMUR2_RANDOM, "foobar", 6, 12, &st),
                 1357151166u % 12);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_FNV1A, "kafka", 5, 12, &st), 0xd33c4e1u % 12);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_CONSISTENT, "123456789", 9, 12, &st),
                 0xcbf43926u % 12);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_CONSISTENT, "", 0, 12, &st), 0);
    /* empty (non-null) key hashes for murmur2: Java hashes byte[0] too */
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_MURMUR2, "", 0, 12, &st), 0x106e08d9u % 12);

    /* null keys: sticky, the same partition until the batch completes */
    int32_t sticky = kp_partition_choose(KP_PARTITIONER_DEFAULT, NULL, 0, 12, &st);
    KP_CHECK(sticky >= 0 && sticky < 12);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_FNV1A_RANDOM, NULL, 0, 12, &st), sticky);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_CONSISTENT_RANDOM, "", 0, 12, &st), sticky);
    int32_t next = kp_sticky_next(&st.sticky, 12, &st.rng);
    KP_CHECK(next != sticky);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_MURMUR2, NULL, 0, 12, &st), next);

    /* round robin ignores keys */
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_ROUND_ROBIN, "x", 1, 3, &st), 0);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_ROUND_ROBIN, NULL, 0, 3, &st), 1);
    int32_t r = kp_partition_choose(KP_PARTITIONER_RANDOM, "x", 1, 3, &st);
    KP_CHECK(r >= 0 && r < 3);
    KP_CHECK_INT(kp_partition_choose(KP_PARTITIONER_DEFAULT, "x", 1, 0, &st), -1);
}

int main(void) {
    KP_RUN(test_murmur2_java_vectors);
    KP_RUN(test_murmur2_librdkafka_vectors);
    KP_RUN(test_fnv1a_vectors);
    KP_RUN(test_fnv1a_matches_sarama);
    KP_RUN(test_consistent_matches_zlib_crc32);
    KP_RUN(test_placement_in_range);
    KP_RUN(test_random_and_round_robin_cover_all);
    KP_RUN(test_sticky_switches);
    KP_RUN(test_choose);
    return kp_test_report();
}
