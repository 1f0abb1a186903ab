/* cli_common.c — helpers shared by the kprod subcommands: numbers, the embedded cluster. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "kp_mock_cluster.h"

int kp_cli_parse_int(const char *s, int32_t min, int32_t max, int32_t *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = (int32_t)v;
    return 0;
}

struct kp_cli_cluster {
    kp_mock_cluster *mock;
};

kp_cli_cluster *kp_cli_cluster_start(const char *topic, int partitions, char *errstr, size_t errlen) {
    kp_cli_cluster *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->mock = kp_mock_cluster_new(3, 0, errstr, errlen);
    if (!c->mock) goto err;
    if (topic && partitions > 0 &&
        kp_mock_cluster_create_topic(c->mock, topic, partitions, 1, errstr, errlen))
        goto err;
    return c;
err:
    kp_cli_cluster_stop(c);
    return NULL;
}

const char *kp_cli_cluster_bootstraps(kp_cli_cluster *c) { return kp_mock_cluster_bootstraps(c->mock); }

void kp_cli_cluster_stop(kp_cli_cluster *c) {
    if (!c) return;
    if (c->mock) kp_mock_cluster_destroy(c->mock);
    free(c);
}
