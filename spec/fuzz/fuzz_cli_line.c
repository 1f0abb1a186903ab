/* fuzz_cli_line.c — libFuzzer target: `kprod produce -K DELIM` record lines,
 * through kp_cli_split_record_line (runtime/cli_record_line.h). The first
 * byte n gives the delimiter's length (n % 4, 0 = no -K), the next bytes the
 * delimiter, the rest is the input, split into lines as getline does. Checks
 * that key + delimiter + value is the line and that the split is at the
 * first delimiter, NUL bytes or not. */
#include "cli_record_line.h"
#include "fuzz.h"

static void check_line(char *line, size_t n, void *ctx) {
    const char *delim = ctx;
    kp_cli_record_line r;
    FUZZ_CHECK(kp_cli_split_record_line(line, n, delim, &r) == 0, "a short line always splits");
    size_t dlen = delim ? strlen(delim) : 0;
    if (!r.key) {
        FUZZ_CHECK(r.value == line && (size_t)r.value_len == n,
                   "without a key the value is the line");
        FUZZ_CHECK(!dlen || !memmem(line, n, delim, dlen), "no key only when DELIM is absent");
    } else {
        FUZZ_CHECK(dlen && r.key == line, "a key starts the line, and needs a DELIM");
        FUZZ_CHECK((size_t)r.key_len + dlen + (size_t)r.value_len == n &&
                       r.value == line + r.key_len + dlen,
                   "key, DELIM and value make up the line");
        FUZZ_CHECK(memcmp(line + r.key_len, delim, dlen) == 0, "the split is at a DELIM");
        FUZZ_CHECK(!memmem(line, (size_t)r.key_len + dlen - 1, delim, dlen),
                   "the split is at the first DELIM");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t dlen = data[0] % 4;
    if (size < 1 + dlen) return 0;
    char delim[4] = {0}; /* -K's argument: a C string */
    memcpy(delim, data + 1, dlen);
    fuzz_for_each_line(data + 1 + dlen, size - 1 - dlen, check_line, dlen ? delim : NULL);
    return 0;
}
