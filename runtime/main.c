/* main.c — the kprod command line: dispatches subcommands, holds no logic. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kp_mock.h"

typedef struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"run", kp_cli_run, "run a Lua script with the kprod module (require \"kprod\")"},
    {"report", kp_cli_report, "compare, merge (--merge) or plot (--plot) the results of `kprod run --json`"},
    {"produce", kp_cli_produce, "produce lines from files or stdin to a topic (kcat-like)"},
    {"config", kp_cli_config, "list the producer properties, or validate a set of them"},
    {"mock", kp_mock_main, "start an embedded Kafka test cluster (librdkafka's mock) with fault injection"},
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: kprod SUBCOMMAND [options]\n"
            "       kprod --version | --help\n\n"
            "kprod is a Kafka producer runtime driven by Lua scripts.\n\n"
            "subcommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'kprod SUBCOMMAND --help' describes each subcommand's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("kprod %s\n", KPROD_SOFTWARE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        if (!strcmp(cmd, subcommands[i].name)) return subcommands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "kprod: unknown subcommand '%s' (see 'kprod --help')\n", cmd);
    return 2;
}
