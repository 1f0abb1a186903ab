/* cli_record_line.h — how `kprod produce -K DELIM` splits one input line into
 * a record's key and value: a pure function, fuzzed by spec/fuzz/fuzz_cli_line.c. */
#ifndef KP_CLI_RECORD_LINE_H
#define KP_CLI_RECORD_LINE_H

#include <stddef.h>
#include <stdint.h>

/* Views into the line; key is NULL for a record without a key. */
typedef struct kp_cli_record_line {
    const char *key;
    int32_t key_len;
    const char *value;
    int32_t value_len;
} kp_cli_record_line;

/* Splits line[0..len) (its '\n' already removed; it may hold NUL bytes) at
 * the first occurrence of delim: the key is what comes before, the value what
 * comes after. With delim NULL or "", or not in the line, the whole line is
 * the value and the key is null. Fills *out with views into line and returns
 * 0, or returns -1 when the line is longer than a record can carry
 * (INT32_MAX bytes), leaving *out alone. */
int kp_cli_split_record_line(const char *line, size_t len, const char *delim,
                             kp_cli_record_line *out);

#endif
