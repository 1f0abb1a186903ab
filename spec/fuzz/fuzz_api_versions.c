/* fuzz_api_versions.c — libFuzzer target: ApiVersions response bodies, v0-3
 * (the first byte picks the version), and version picking from what decoded. */
#include "fuzz.h"
#include "kp_proto_apiversions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int16_t version;
    if (fuzz_take_version(KP_API_API_VERSIONS, &data, &size, &version)) return 0;
    kp_api_versions av;
    kp_proto_err err;
    int rc = kp_api_versions_response_decode(data, size, version, &av, &err);
    if (!fuzz_decoded(rc, &err, size, !av.api_keys && !av.api_keys_count && !av.arena.head))
        return 0;
    FUZZ_CHECK_ARRAY(av.api_keys, av.api_keys_count);
    FUZZ_CHECK(av.body_version >= -1 && av.body_version <= version,
               "the body is read as the request's version, v0 or no layout");
    fuzz_touch(av.api_keys, (size_t)av.api_keys_count * sizeof *av.api_keys);
    for (size_t i = 0; i < sizeof fuzz_apis / sizeof *fuzz_apis; i++) {
        int16_t lo, hi;
        kp_proto_version_range(fuzz_apis[i], &lo, &hi);
        int picked = kp_api_versions_pick(&av, fuzz_apis[i], lo, hi);
        FUZZ_CHECK(picked == -1 || (picked >= lo && picked <= hi),
                   "a picked version is inside our range");
    }
    kp_api_versions_free(&av);
    return 0;
}
