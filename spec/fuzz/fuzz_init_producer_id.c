/* fuzz_init_producer_id.c — libFuzzer target: InitProducerId response bodies,
 * v0-4 (the first byte picks the version). */
#include "fuzz.h"
#include "kp_proto_initpid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int16_t version;
    if (fuzz_take_version(KP_API_INIT_PRODUCER_ID, &data, &size, &version)) return 0;
    kp_init_producer_id_response r;
    kp_proto_err err;
    /* Owns nothing: there is no "empty" to check. */
    fuzz_decoded(kp_init_producer_id_response_decode(data, size, version, &r, &err), &err, size, 1);
    return 0;
}
