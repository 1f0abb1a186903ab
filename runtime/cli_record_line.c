/* cli_record_line.c — `kprod produce -K` line splitting (see cli_record_line.h). */
#include "cli_record_line.h"

#include <string.h>

int kp_cli_split_record_line(const char *line, size_t len, const char *delim,
                             kp_cli_record_line *out) {
    if (len > INT32_MAX) return -1;
    size_t dlen = delim ? strlen(delim) : 0;
    /* memmem, not strstr: a NUL byte in the line must not hide the delimiter. */
    const char *d = dlen ? memmem(line, len, delim, dlen) : NULL;
    if (!d) {
        *out = (kp_cli_record_line){NULL, 0, line, (int32_t)len};
        return 0;
    }
    size_t klen = (size_t)(d - line);
    *out = (kp_cli_record_line){line, (int32_t)klen, d + dlen, (int32_t)(len - klen - dlen)};
    return 0;
}
