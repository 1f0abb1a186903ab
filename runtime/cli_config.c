/* cli_config.c — `kprod config`: the producer properties, and a check of a set of them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kp_conf.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod config [-X prop=value]... [--file PROPERTIES]\n\n"
            "Without options: prints every producer property (Kafka's Java names) as a\n"
            "Markdown table: name, default, range, description (docs/CONFIGURATION.md).\n"
            "With -X or --file: validates those settings as the producer would and prints\n"
            "the resulting value of every property; exit status 2 names the first bad one.\n");
}

int kp_cli_config(int argc, char **argv) {
    kp_conf *conf = kp_conf_new();
    char err[512];
    int given = 0, rc = 2;
    if (!conf) return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "-X") && v) {
            if (kp_conf_set_line(conf, v, err, sizeof err)) {
                fprintf(stderr, "kprod config: -X %s: %s\n", v, err);
                goto out;
            }
            given = 1;
            i++;
        } else if (!strcmp(a, "--file") && v) {
            FILE *f = fopen(v, "r");
            if (!f) {
                perror(v);
                goto out;
            }
            char line[4096];
            int lineno = 0;
            while (fgets(line, sizeof line, f)) {
                lineno++;
                line[strcspn(line, "\r\n")] = 0;
                if (kp_conf_set_line(conf, line, err, sizeof err)) {
                    fprintf(stderr, "kprod config: %s:%d: %s\n", v, lineno, err);
                    fclose(f);
                    goto out;
                }
            }
            fclose(f);
            given = 1;
            i++;
        } else {
            fprintf(stderr, "kprod config: unknown or incomplete option '%s' (see --help)\n", a);
            goto out;
        }
    }
    if (given) {
        if (kp_conf_validate(conf, err, sizeof err)) {
            fprintf(stderr, "kprod config: %s\n", err);
            goto out;
        }
        if (err[0]) fprintf(stderr, "kprod config: note: %s\n", err);
        kp_conf_dump(conf, stdout);
    } else {
        kp_conf_dump(NULL, stdout);
    }
    rc = 0;
out:
    kp_conf_free(conf);
    return rc;
}
