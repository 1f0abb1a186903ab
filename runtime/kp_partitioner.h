/* kp_partitioner.h — key hashes and partition placement that match other clients:
 * Java's murmur2, librdkafka's consistent (CRC-32) and Sarama's FNV-1a, plus
 * sticky, round-robin and random placement for records without a key. */
#ifndef KP_PARTITIONER_H
#define KP_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

/* Every kp_partition_* function returns a partition in [0, partition_count),
 * or -1 when partition_count <= 0 (no partitions known yet). A NULL key with
 * len 0 hashes like an empty key; deciding what a *null* key means is the
 * caller's job (kp_partition_choose does it the way librdkafka does). */

/* Java's org.apache.kafka.common.utils.Utils.murmur2, bit for bit (seed
 * 0x9747b28c), returned as Java's signed int. */
int32_t kp_murmur2(const void *key, size_t len);

/* Java's BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % n,
 * where toPositive(h) = h & 0x7fffffff. Also librdkafka's murmur2 and
 * murmur2_random partitioners for non-null keys. */
int32_t kp_partition_murmur2(const void *key, size_t len, int32_t partition_count);

/* Plain 32-bit FNV-1a (Go's hash/fnv New32a): "" -> 0x811c9dc5. */
uint32_t kp_fnv1a32(const void *key, size_t len);

/* Sarama's NewHashPartitioner (not NewReferenceHashPartitioner):
 * p = int32(fnv1a) % n, negated when negative. librdkafka's fnv1a and
 * fnv1a_random give the same partition for every non-null key. */
int32_t kp_partition_fnv1a(const void *key, size_t len, int32_t partition_count);

/* librdkafka's consistent partitioner: zlib CRC-32 (IEEE) of the key, as an
 * unsigned value, % n. An empty key always lands on partition 0. */
int32_t kp_partition_consistent(const void *key, size_t len, int32_t partition_count);

/* Small PRNG (mulberry32) for placement: any state value, including 0, is a
 * valid seed; each call advances *rng. Not for anything secret. */
uint32_t kp_rand32(uint32_t *rng);

/* A uniformly random partition. */
int32_t kp_partition_random(int32_t partition_count, uint32_t *rng);

/* Round robin over all partitions, like Java's RoundRobinPartitioner (one
 * counter per topic). A zeroed struct starts at partition 0. */
typedef struct kp_round_robin {
    uint32_t next;
} kp_round_robin;

int32_t kp_partition_round_robin(kp_round_robin *rr, int32_t partition_count);

/* Sticky placement for keyless records (KIP-480 / KIP-794 without the
 * adaptive part): every keyless record goes to `current` until the
 * accumulator reports that a batch for it completed, then the producer
 * switches. current < 0 means "none chosen yet"; initialise with
 * kp_sticky_init (a zeroed struct also works, it just starts on partition 0). */
typedef struct kp_sticky {
    int32_t current;
} kp_sticky;

static inline void kp_sticky_init(kp_sticky *s) { s->current = -1; }

/* Returns the sticky partition, choosing a random one first if none is set
 * or the topic shrank below it. */
int32_t kp_sticky_partition(kp_sticky *s, int32_t partition_count, uint32_t *rng);

/* Called when the sticky partition's batch completes: moves to a random
 * partition that differs from the current one whenever partition_count > 1,
 * and returns it. */
int32_t kp_sticky_next(kp_sticky *s, int32_t partition_count, uint32_t *rng);

/* The values of the kprod.partitioner property. Keyed placement of each kind
 * equals the librdkafka partitioner of the same name (kcat -X partitioner=);
 * DEFAULT is the Java producer's (murmur2, same as murmur2_random). */
typedef enum kp_partitioner_kind {
    KP_PARTITIONER_DEFAULT = 0,
    KP_PARTITIONER_MURMUR2,
    KP_PARTITIONER_MURMUR2_RANDOM,
    KP_PARTITIONER_CONSISTENT,
    KP_PARTITIONER_CONSISTENT_RANDOM,
    KP_PARTITIONER_FNV1A,
    KP_PARTITIONER_FNV1A_RANDOM,
    KP_PARTITIONER_RANDOM,
    KP_PARTITIONER_ROUND_ROBIN,
} kp_partitioner_kind;

/* Per-topic placement state for kp_partition_choose. Zeroing it is a valid
 * start; seed `rng` (any value) to vary the sticky/random choices. */
typedef struct kp_placement {
    kp_sticky sticky;
    kp_round_robin round_robin;
    uint32_t rng;
} kp_placement;

/* Places one record that has no explicit partition. A NULL key is a null
 * key: it goes to the sticky partition for every hashing kind (what Java and
 * librdkafka >= 1.5 do), a random partition for RANDOM, the next one for
 * ROUND_ROBIN. CONSISTENT_RANDOM also treats an empty key as null, like
 * librdkafka. Callers honouring partitioner.ignore.keys pass key = NULL. */
int32_t kp_partition_choose(kp_partitioner_kind kind, const void *key, size_t len,
                            int32_t partition_count, kp_placement *st);

#endif
