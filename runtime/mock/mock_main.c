/* mock_main.c: main() of kprod-mock-modern, `kprod mock` built alone against librdkafka 2.12. */
#include <librdkafka/rdkafka.h>

#include "kp_mock.h"

/* With the include path wrong, Debian's 2.0.2 headers would be paired with
 * the 2.12 library without a word: refuse to build instead. */
#if RD_KAFKA_VERSION < 0x020c0000
#error "kprod-mock-modern needs librdkafka 2.12 headers: -I<srcdir>/src-include (scripts/build-modern-peer)"
#endif

/* Runs as if invoked as `kprod mock ARGS...`: argv[0] becomes "mock". */
int main(int argc, char **argv) {
    argv[0] = "mock";
    return kp_mock_main(argc, argv);
}
