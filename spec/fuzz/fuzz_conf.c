/* fuzz_conf.c — libFuzzer target: the property parser. Each input line goes
 * through kp_conf_set_line, then kp_conf_validate. A rejected line must leave
 * its property alone; an accepted one must print (kp_conf_get) to a value
 * that parses back to the same; a stored bootstrap.servers must walk cleanly
 * and kp_conf_dup must copy every value. */
#include <ctype.h>

#include "fuzz.h"
#include "kp_conf.h"

/* The property name of an accepted key=value line, trimmed, into name. */
static int line_name(const char *line, char *name, size_t size) {
    while (isspace((unsigned char)*line)) line++;
    const char *eq = strchr(line, '=');
    if (*line == '#' || !eq) return -1;
    size_t n = (size_t)(eq - line);
    while (n && isspace((unsigned char)line[n - 1])) n--;
    if (n >= size) return -1;
    memcpy(name, line, n);
    name[n] = 0;
    return 0;
}

/* kp_conf_get's text for name (malloc'd, room for any value the input can
 * set), or NULL for an unknown name. */
static char *value_of(const kp_conf *conf, const char *name, size_t max_value) {
    size_t size = max_value + 64;
    char *text = malloc(size);
    if (!text) abort();
    if (kp_conf_get(conf, name, text, size)) return text;
    free(text);
    return NULL;
}

/* What kp_conf_get prints for name must be what kp_conf_set reads back. */
static void check_prints_back(const kp_conf *conf, const char *name, size_t max_value) {
    char err[512];
    char *printed = value_of(conf, name, max_value);
    FUZZ_CHECK(printed, "a property that was set has a value");
    kp_conf *fresh = kp_conf_new();
    if (!fresh) abort();
    FUZZ_CHECK(kp_conf_set(fresh, name, printed, err, sizeof err) == 0,
               "a property's printed value parses back");
    char *again = value_of(fresh, name, max_value);
    FUZZ_CHECK(strcmp(printed, again) == 0, "a printed value parses back to the same value");
    kp_conf_free(fresh);
    free(printed);
    free(again);
}

static void check_bootstrap(const kp_conf *conf) {
    const char *cur = conf->bootstrap_servers;
    char host[256], err[512];
    int port, rc, n = 0;
    while ((rc = kp_conf_next_broker(&cur, host, sizeof host, &port, err, sizeof err)) == 1) {
        FUZZ_CHECK(host[0] && port >= 1 && port <= 65535, "an entry has a host and a port");
        n++;
    }
    FUZZ_CHECK(rc == 0 && n > 0, "a stored bootstrap.servers walks to its end");
}

static char *dump(const kp_conf *conf, size_t *len) {
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f) abort();
    kp_conf_dump(conf, f);
    fclose(f);
    return text;
}

static void check_dup(const kp_conf *conf) {
    kp_conf *copy = kp_conf_dup(conf);
    if (!copy) abort();
    size_t n1, n2;
    char *a = dump(conf, &n1), *b = dump(copy, &n2);
    FUZZ_CHECK(n1 == n2 && memcmp(a, b, n1) == 0, "a copy holds the same values");
    free(a);
    free(b);
    kp_conf_free(copy);
}

struct apply_ctx {
    kp_conf *conf;
    size_t max_value; /* no printed value is longer than the input */
};

/* One line: accepted and printable back, or rejected with its property
 * (value and "set explicitly" record) unchanged. */
static void apply_line(char *line, size_t len, void *ctx) {
    const struct apply_ctx *a = ctx;
    char err[512], name[128];
    (void)len;
    int named = line_name(line, name, sizeof name) == 0;
    char *before = named ? value_of(a->conf, name, a->max_value) : NULL;
    int was_set = before ? kp_conf_is_set(a->conf, name) : -1;
    if (kp_conf_set_line(a->conf, line, err, sizeof err)) {
        FUZZ_CHECK(err[0], "a rejected line says why");
        if (before) {
            char *after = value_of(a->conf, name, a->max_value);
            FUZZ_CHECK(strcmp(before, after) == 0 && kp_conf_is_set(a->conf, name) == was_set,
                       "a rejected line leaves its property unchanged");
            free(after);
        }
    } else if (named) {
        check_prints_back(a->conf, name, a->max_value);
    }
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kp_conf *conf = kp_conf_new();
    char err[512];
    if (!conf) abort();
    struct apply_ctx ctx = {conf, size};
    fuzz_for_each_line(data, size, apply_line, &ctx);
    if (kp_conf_validate(conf, err, sizeof err) == 0) {
        if (conf->bootstrap_servers) check_bootstrap(conf);
    } else {
        FUZZ_CHECK(err[0], "a failed validation says why");
    }
    check_dup(conf);
    kp_conf_free(conf);
    return 0;
}
