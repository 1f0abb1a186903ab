/* kp_crc32c.h — CRC-32C (Castagnoli), the checksum of a Kafka record batch v2. */
#ifndef KP_CRC32C_H
#define KP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Returns the CRC-32C of data[0..len) continued from `crc`. Pass 0 to start;
 * feeding the result back in with the next piece gives the same value as one
 * call over the concatenation (zlib's crc32() convention). Uses the SSE4.2
 * crc32 instruction when the CPU has it, the table code otherwise; both give
 * identical results. Thread safe; never fails. `data` may be NULL when len is 0. */
uint32_t kp_crc32c(uint32_t crc, const void *data, size_t len);

/* The portable slicing-by-8 table implementation, always available, so tests
 * can check the hardware path against it. Same contract as kp_crc32c. */
uint32_t kp_crc32c_sw(uint32_t crc, const void *data, size_t len);

/* The CRC-32C of some bytes, kept with the operator that appends them to
 * another CRC, so a CRC over them need not read them again (zlib's
 * crc32_combine_op): for immutable bytes sent many times. */
typedef struct kp_crc32c_piece {
    uint32_t crc; /* kp_crc32c(0, data, len) */
    uint32_t op;  /* x^(8 len) modulo the polynomial */
} kp_crc32c_piece;

/* The piece for data[0..len). */
kp_crc32c_piece kp_crc32c_piece_of(const void *data, size_t len);
/* kp_crc32c(crc, data, len) for the piece's bytes, without them. */
uint32_t kp_crc32c_append_piece(uint32_t crc, kp_crc32c_piece piece);

/* 1 when kp_crc32c runs on the SSE4.2 instruction, 0 when it uses the tables. */
int kp_crc32c_hw_available(void);

#endif
