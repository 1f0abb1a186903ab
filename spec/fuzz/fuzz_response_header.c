/* fuzz_response_header.c — libFuzzer target: ResponseHeader v0/v1. The first
 * byte names the API and version the response answers (fuzz_pick_api), which
 * decides the header version as kp_conn does. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int16_t api_key, version;
    fuzz_pick_api(data[0], &api_key, &version);
    int flexible = kp_proto_response_flexible(api_key, version);
    FUZZ_CHECK(flexible == 0 || flexible == 1, "every version we speak has a header version");
    kp_reader r;
    kp_reader_init(&r, data + 1, size - 1);
    int32_t correlation_id = 0;
    int rc = kp_proto_response_header(&r, flexible, &correlation_id);
    FUZZ_CHECK(rc == 0 || rc == -1, "the header reader returns 0 or -1");
    FUZZ_CHECK((rc == 0) == (r.err == NULL), "-1 exactly when the reader failed");
    FUZZ_CHECK(rc || kp_rd_offset(&r) >= 4, "a header holds at least the correlation id");
    FUZZ_CHECK(rc || (flexible || kp_rd_offset(&r) == 4), "header v0 is the correlation id only");
    FUZZ_CHECK(kp_rd_offset(&r) <= size - 1, "the reader stays inside the frame");
    return 0;
}
