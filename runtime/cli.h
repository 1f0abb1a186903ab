/* cli.h — the subcommands of the kprod binary and the helpers they share. */
#ifndef KP_CLI_H
#define KP_CLI_H

#include <stddef.h>
#include <stdint.h>

int kp_cli_produce(int argc, char **argv);
int kp_cli_config(int argc, char **argv);
int kp_cli_run(int argc, char **argv);
int kp_cli_report(int argc, char **argv);

/* Parses a decimal integer in [min, max]; 0 or -1. */
int kp_cli_parse_int(const char *s, int32_t min, int32_t max, int32_t *out);

/* The embedded test cluster used when no -b is given: a 3-broker librdkafka
 * mock in this process. topic (may be NULL) is created with `partitions`
 * partitions when partitions > 0 (otherwise topics are auto-created with 4).
 * NULL with errstr on failure. */
typedef struct kp_cli_cluster kp_cli_cluster;
kp_cli_cluster *kp_cli_cluster_start(const char *topic, int partitions, char *errstr, size_t errlen);
const char *kp_cli_cluster_bootstraps(kp_cli_cluster *c);
void kp_cli_cluster_stop(kp_cli_cluster *c);

#endif
