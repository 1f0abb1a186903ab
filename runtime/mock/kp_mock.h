/* kp_mock.h: the `kprod mock` subcommand, a librdkafka mock cluster driven by line commands. */
#ifndef KP_MOCK_H
#define KP_MOCK_H

/* Runs `kprod mock [--brokers N] [--topic NAME:PARTITIONS[:REPLICATION]]...
 * [--verbose] [--help]`; argv[0] is "mock".
 *
 * Starts a librdkafka mock cluster, writes its bootstrap list as the first
 * line of stdout, then answers each control command read from stdin with
 * exactly one stdout line, `ok` or `error: <message>` (see `help`).
 *
 * Returns the process exit status: 0 after EOF on stdin, `quit`, SIGINT or
 * SIGTERM (cluster and handle destroyed); 2 for bad command-line arguments
 * (message on stderr); 1 when the cluster cannot be started or stdout is
 * closed under us. While it runs, SIGINT/SIGTERM are caught and SIGPIPE is
 * ignored; the previous actions are restored before it returns. */
int kp_mock_main(int argc, char **argv);

#endif
