/* test_err.c — the error table against Apache Kafka's Errors.java, and its internal consistency. */
#include <ctype.h>
#include <strings.h>

#include "kp_err.h"
#include "kp_test.h"

/* Number, name, and the Java exception's class (RetriableException /
 * InvalidMetadataException subclass) for codes a producer meets, plus a few
 * that are easy to get wrong (UNKNOWN_LEADER_EPOCH is retriable but not
 * metadata; BROKER_NOT_AVAILABLE is neither). */
static const struct {
    int code;
    const char *name;
    int retriable;
    int invalid_metadata;
} java[] = {
    {-1, "UNKNOWN_SERVER_ERROR", 0, 0},
    {0, "NONE", 0, 0},
    {1, "OFFSET_OUT_OF_RANGE", 0, 0},
    {2, "CORRUPT_MESSAGE", 1, 0},
    {3, "UNKNOWN_TOPIC_OR_PARTITION", 1, 1},
    {5, "LEADER_NOT_AVAILABLE", 1, 1},
    {6, "NOT_LEADER_OR_FOLLOWER", 1, 1},
    {7, "REQUEST_TIMED_OUT", 1, 0},
    {8, "BROKER_NOT_AVAILABLE", 0, 0},
    {9, "REPLICA_NOT_AVAILABLE", 1, 1},
    {10, "MESSAGE_TOO_LARGE", 0, 0},
    {13, "NETWORK_EXCEPTION", 1, 1},
    {14, "COORDINATOR_LOAD_IN_PROGRESS", 1, 0},
    {15, "COORDINATOR_NOT_AVAILABLE", 1, 0},
    {16, "NOT_COORDINATOR", 1, 0},
    {17, "INVALID_TOPIC_EXCEPTION", 0, 0},
    {18, "RECORD_LIST_TOO_LARGE", 0, 0},
    {19, "NOT_ENOUGH_REPLICAS", 1, 0},
    {20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 1, 0},
    {21, "INVALID_REQUIRED_ACKS", 0, 0},
    {29, "TOPIC_AUTHORIZATION_FAILED", 0, 0},
    {31, "CLUSTER_AUTHORIZATION_FAILED", 0, 0},
    {32, "INVALID_TIMESTAMP", 0, 0},
    {35, "UNSUPPORTED_VERSION", 0, 0},
    {41, "NOT_CONTROLLER", 1, 0},
    {42, "INVALID_REQUEST", 0, 0},
    {45, "OUT_OF_ORDER_SEQUENCE_NUMBER", 0, 0},
    {46, "DUPLICATE_SEQUENCE_NUMBER", 0, 0},
    {47, "INVALID_PRODUCER_EPOCH", 0, 0},
    {48, "INVALID_TXN_STATE", 0, 0},
    {51, "CONCURRENT_TRANSACTIONS", 1, 0},
    {53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 0, 0},
    {56, "KAFKA_STORAGE_ERROR", 1, 1},
    {58, "SASL_AUTHENTICATION_FAILED", 0, 0},
    {59, "UNKNOWN_PRODUCER_ID", 0, 0},
    {72, "LISTENER_NOT_FOUND", 1, 1},
    {74, "FENCED_LEADER_EPOCH", 1, 1},
    {75, "UNKNOWN_LEADER_EPOCH", 1, 0},
    {76, "UNSUPPORTED_COMPRESSION_TYPE", 0, 0},
    {78, "OFFSET_NOT_AVAILABLE", 1, 0},
    {80, "PREFERRED_LEADER_NOT_AVAILABLE", 1, 1},
    {84, "ELECTION_NOT_NEEDED", 1, 1},
    {87, "INVALID_RECORD", 0, 0},
    {89, "THROTTLING_QUOTA_EXCEEDED", 1, 0},
    {90, "PRODUCER_FENCED", 0, 0},
    {100, "UNKNOWN_TOPIC_ID", 1, 1},
    {103, "INCONSISTENT_TOPIC_ID", 1, 1},
    {106, "FETCH_SESSION_TOPIC_ID_ERROR", 1, 0},
    {119, "INVALID_REGISTRATION", 0, 0},
    {120, "TRANSACTION_ABORTABLE", 0, 0},
    {122, "SHARE_SESSION_NOT_FOUND", 1, 0},
    {129, "REBOOTSTRAP_REQUIRED", 0, 0},
    {133, "SHARE_SESSION_LIMIT_REACHED", 1, 0},
};

static void test_java_spot_checks(void) {
    for (size_t i = 0; i < sizeof java / sizeof java[0]; i++) {
        int c = java[i].code;
        if (strcmp(kp_err_name(c), java[i].name) != 0)
            fprintf(stderr, "  code %d: name %s, expected %s\n", c, kp_err_name(c), java[i].name);
        KP_CHECK_STR(kp_err_name(c), java[i].name);
        KP_CHECK_INT(kp_err_from_name(java[i].name), c);
        if (kp_err_retriable(c) != java[i].retriable || kp_err_invalid_metadata(c) != java[i].invalid_metadata)
            fprintf(stderr, "  %s: flags differ from Java\n", java[i].name);
        KP_CHECK_INT(kp_err_retriable(c), java[i].retriable);
        KP_CHECK_INT(kp_err_invalid_metadata(c), java[i].invalid_metadata);
    }
    KP_CHECK_INT(KP_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    KP_CHECK_INT(KP_ERR_UNKNOWN_PRODUCER_ID, 59);
    KP_CHECK_INT(KP_ERR_KAFKA_MAX, 133);
}

static void test_local_codes(void) {
    KP_CHECK_STR(kp_err_name(KP_ERR__TIMED_OUT), "_TIMED_OUT");
    KP_CHECK_STR(kp_err_name(KP_ERR__QUEUE_FULL), "_QUEUE_FULL");
    KP_CHECK_INT(kp_err_from_name("_MSG_TIMED_OUT"), KP_ERR__MSG_TIMED_OUT);
    KP_CHECK_INT(kp_err_from_name("KP_ERR__DESTROY"), KP_ERR__DESTROY);
    KP_CHECK(kp_err_retriable(KP_ERR__TRANSPORT));
    KP_CHECK(kp_err_invalid_metadata(KP_ERR__TRANSPORT));
    KP_CHECK(kp_err_retriable(KP_ERR__QUEUE_FULL));
    KP_CHECK(!kp_err_retriable(KP_ERR__MSG_TIMED_OUT));
    KP_CHECK(!kp_err_retriable(KP_ERR__DESTROY));
    KP_CHECK(!kp_err_retriable(KP_ERR__FATAL));
    KP_CHECK(strncmp(kp_err_desc(KP_ERR__QUEUE_FULL), "Local: ", 7) == 0);
}

static void test_unknown_and_aliases(void) {
    KP_CHECK_STR(kp_err_name(9999), "UNKNOWN_ERROR_9999");
    KP_CHECK_STR(kp_err_name(-55), "UNKNOWN_ERROR_-55");
    KP_CHECK_INT(kp_err_from_name("UNKNOWN_ERROR_9999"), 9999);
    KP_CHECK_INT(kp_err_from_name("UNKNOWN_ERROR_-55"), -55);
    KP_CHECK_INT(kp_err_from_name("UNKNOWN_ERROR_"), KP_ERR_NAME_UNKNOWN);
    KP_CHECK_INT(kp_err_from_name("UNKNOWN_ERROR_12x"), KP_ERR_NAME_UNKNOWN);
    KP_CHECK_STR(kp_err_desc(9999), "Unknown error code");
    KP_CHECK(!kp_err_retriable(9999));
    KP_CHECK(!kp_err_invalid_metadata(9999));
    KP_CHECK(!kp_err_retriable(KP_ERR_NONE));
    KP_CHECK_INT(kp_err_from_name("not_leader_or_follower"), 6);
    KP_CHECK_INT(kp_err_from_name("KP_ERR_NOT_LEADER_OR_FOLLOWER"), 6);
    KP_CHECK_INT(kp_err_from_name("NOT_LEADER_FOR_PARTITION"), 6);
    KP_CHECK_INT(kp_err_from_name("UNKNOWN"), -1);
    KP_CHECK_INT(kp_err_from_name("NO_SUCH_ERROR"), KP_ERR_NAME_UNKNOWN);
    KP_CHECK_INT(kp_err_from_name(""), KP_ERR_NAME_UNKNOWN);
    KP_CHECK_INT(kp_err_from_name(NULL), KP_ERR_NAME_UNKNOWN);
    /* Local names need their underscore, so they can never shadow a Kafka name. */
    KP_CHECK_INT(kp_err_from_name("TIMED_OUT"), KP_ERR_NAME_UNKNOWN);
}

/* Every entry: unique code, unique name, name round trip in every accepted
 * spelling, a description, and metadata errors always retriable. */
static void test_whole_table(void) {
    size_t n = kp_err_count();
    /* 135 Kafka codes (-1..133) and 19 of kprod's own. */
    KP_CHECK_INT(n, 135 + 19);
    int dup_codes = 0, dup_names = 0, bad_round_trip = 0, bad_flags = 0, bad_desc = 0;
    for (size_t i = 0; i < n; i++) {
        int c = kp_err_code_at(i);
        const char *name = kp_err_name(c);
        for (size_t j = 0; j < i; j++) {
            if (kp_err_code_at(j) == c) dup_codes++;
            if (strcasecmp(kp_err_name(kp_err_code_at(j)), name) == 0) dup_names++;
        }
        char lower[64], prefixed[80];
        size_t k = 0;
        for (; name[k] && k + 1 < sizeof lower; k++) lower[k] = (char)tolower((unsigned char)name[k]);
        lower[k] = '\0';
        snprintf(prefixed, sizeof prefixed, "KP_ERR_%s", name);
        if (kp_err_from_name(name) != c || kp_err_from_name(lower) != c || kp_err_from_name(prefixed) != c) {
            fprintf(stderr, "  round trip failed for %s (%d)\n", name, c);
            bad_round_trip++;
        }
        if (strncmp(name, "UNKNOWN_ERROR_", 14) == 0) bad_round_trip++;
        if (kp_err_invalid_metadata(c) && !kp_err_retriable(c)) bad_flags++;
        if (!kp_err_desc(c)[0] || strcmp(kp_err_desc(c), "Unknown error code") == 0) bad_desc++;
        /* Kafka codes in order from -1, then local codes below -100. */
        if (i <= (size_t)KP_ERR_KAFKA_MAX + 1 ? c != (int)i - 1 : c > -101) bad_round_trip++;
    }
    KP_CHECK_INT(dup_codes, 0);
    KP_CHECK_INT(dup_names, 0);
    KP_CHECK_INT(bad_round_trip, 0);
    KP_CHECK_INT(bad_flags, 0);
    KP_CHECK_INT(bad_desc, 0);
    KP_CHECK_INT(kp_err_code_at(n), KP_ERR_NAME_UNKNOWN);
}

int main(void) {
    KP_RUN(test_java_spot_checks);
    KP_RUN(test_local_codes);
    KP_RUN(test_unknown_and_aliases);
    KP_RUN(test_whole_table);
    return kp_test_report();
}
