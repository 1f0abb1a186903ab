/* kp_err.h — error codes: Apache Kafka's protocol table plus kprod's own client-side codes. */
#ifndef KP_ERR_H
#define KP_ERR_H

#include <limits.h>
#include <stddef.h>

/* Codes -1..133 are the wire codes of org.apache.kafka.common.protocol.Errors
 * (Kafka 4.1) under the same names. Codes below -100 never travel on the wire:
 * they are kprod's own, named with a double underscore (KP_ERR__X, printed as
 * "_X") as librdkafka does, so a log line tells at once which side failed.
 *
 * A record larger than max.request.size is rejected locally with
 * KP_ERR_MESSAGE_TOO_LARGE, as the Java client (RecordTooLargeException) and
 * librdkafka do, rather than with a separate local code. */
typedef enum kp_err {
    /* Kafka protocol errors. */
    KP_ERR_UNKNOWN_SERVER_ERROR = -1,
    KP_ERR_NONE = 0,
    KP_ERR_OFFSET_OUT_OF_RANGE = 1,
    KP_ERR_CORRUPT_MESSAGE = 2,
    KP_ERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KP_ERR_INVALID_FETCH_SIZE = 4,
    KP_ERR_LEADER_NOT_AVAILABLE = 5,
    KP_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KP_ERR_REQUEST_TIMED_OUT = 7,
    KP_ERR_BROKER_NOT_AVAILABLE = 8,
    KP_ERR_REPLICA_NOT_AVAILABLE = 9,
    KP_ERR_MESSAGE_TOO_LARGE = 10,
    KP_ERR_STALE_CONTROLLER_EPOCH = 11,
    KP_ERR_OFFSET_METADATA_TOO_LARGE = 12,
    KP_ERR_NETWORK_EXCEPTION = 13,
    KP_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KP_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    KP_ERR_NOT_COORDINATOR = 16,
    KP_ERR_INVALID_TOPIC_EXCEPTION = 17,
    KP_ERR_RECORD_LIST_TOO_LARGE = 18,
    KP_ERR_NOT_ENOUGH_REPLICAS = 19,
    KP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
    KP_ERR_INVALID_REQUIRED_ACKS = 21,
    KP_ERR_ILLEGAL_GENERATION = 22,
    KP_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KP_ERR_INVALID_GROUP_ID = 24,
    KP_ERR_UNKNOWN_MEMBER_ID = 25,
    KP_ERR_INVALID_SESSION_TIMEOUT = 26,
    KP_ERR_REBALANCE_IN_PROGRESS = 27,
    KP_ERR_INVALID_COMMIT_OFFSET_SIZE = 28,
    KP_ERR_TOPIC_AUTHORIZATION_FAILED = 29,
    KP_ERR_GROUP_AUTHORIZATION_FAILED = 30,
    KP_ERR_CLUSTER_AUTHORIZATION_FAILED = 31,
    KP_ERR_INVALID_TIMESTAMP = 32,
    KP_ERR_UNSUPPORTED_SASL_MECHANISM = 33,
    KP_ERR_ILLEGAL_SASL_STATE = 34,
    KP_ERR_UNSUPPORTED_VERSION = 35,
    KP_ERR_TOPIC_ALREADY_EXISTS = 36,
    KP_ERR_INVALID_PARTITIONS = 37,
    KP_ERR_INVALID_REPLICATION_FACTOR = 38,
    KP_ERR_INVALID_REPLICA_ASSIGNMENT = 39,
    KP_ERR_INVALID_CONFIG = 40,
    KP_ERR_NOT_CONTROLLER = 41,
    KP_ERR_INVALID_REQUEST = 42,
    KP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    KP_ERR_POLICY_VIOLATION = 44,
    KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    KP_ERR_DUPLICATE_SEQUENCE_NUMBER = 46,
    KP_ERR_INVALID_PRODUCER_EPOCH = 47,
    KP_ERR_INVALID_TXN_STATE = 48,
    KP_ERR_INVALID_PRODUCER_ID_MAPPING = 49,
    KP_ERR_INVALID_TRANSACTION_TIMEOUT = 50,
    KP_ERR_CONCURRENT_TRANSACTIONS = 51,
    KP_ERR_TRANSACTION_COORDINATOR_FENCED = 52,
    KP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
    KP_ERR_SECURITY_DISABLED = 54,
    KP_ERR_OPERATION_NOT_ATTEMPTED = 55,
    KP_ERR_KAFKA_STORAGE_ERROR = 56,
    KP_ERR_LOG_DIR_NOT_FOUND = 57,
    KP_ERR_SASL_AUTHENTICATION_FAILED = 58,
    KP_ERR_UNKNOWN_PRODUCER_ID = 59,
    KP_ERR_REASSIGNMENT_IN_PROGRESS = 60,
    KP_ERR_DELEGATION_TOKEN_AUTH_DISABLED = 61,
    KP_ERR_DELEGATION_TOKEN_NOT_FOUND = 62,
    KP_ERR_DELEGATION_TOKEN_OWNER_MISMATCH = 63,
    KP_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED = 64,
    KP_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED = 65,
    KP_ERR_DELEGATION_TOKEN_EXPIRED = 66,
    KP_ERR_INVALID_PRINCIPAL_TYPE = 67,
    KP_ERR_NON_EMPTY_GROUP = 68,
    KP_ERR_GROUP_ID_NOT_FOUND = 69,
    KP_ERR_FETCH_SESSION_ID_NOT_FOUND = 70,
    KP_ERR_INVALID_FETCH_SESSION_EPOCH = 71,
    KP_ERR_LISTENER_NOT_FOUND = 72,
    KP_ERR_TOPIC_DELETION_DISABLED = 73,
    KP_ERR_FENCED_LEADER_EPOCH = 74,
    KP_ERR_UNKNOWN_LEADER_EPOCH = 75,
    KP_ERR_UNSUPPORTED_COMPRESSION_TYPE = 76,
    KP_ERR_STALE_BROKER_EPOCH = 77,
    KP_ERR_OFFSET_NOT_AVAILABLE = 78,
    KP_ERR_MEMBER_ID_REQUIRED = 79,
    KP_ERR_PREFERRED_LEADER_NOT_AVAILABLE = 80,
    KP_ERR_GROUP_MAX_SIZE_REACHED = 81,
    KP_ERR_FENCED_INSTANCE_ID = 82,
    KP_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE = 83,
    KP_ERR_ELECTION_NOT_NEEDED = 84,
    KP_ERR_NO_REASSIGNMENT_IN_PROGRESS = 85,
    KP_ERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
    KP_ERR_INVALID_RECORD = 87,
    KP_ERR_UNSTABLE_OFFSET_COMMIT = 88,
    KP_ERR_THROTTLING_QUOTA_EXCEEDED = 89,
    KP_ERR_PRODUCER_FENCED = 90,
    KP_ERR_RESOURCE_NOT_FOUND = 91,
    KP_ERR_DUPLICATE_RESOURCE = 92,
    KP_ERR_UNACCEPTABLE_CREDENTIAL = 93,
    KP_ERR_INCONSISTENT_VOTER_SET = 94,
    KP_ERR_INVALID_UPDATE_VERSION = 95,
    KP_ERR_FEATURE_UPDATE_FAILED = 96,
    KP_ERR_PRINCIPAL_DESERIALIZATION_FAILURE = 97,
    KP_ERR_SNAPSHOT_NOT_FOUND = 98,
    KP_ERR_POSITION_OUT_OF_RANGE = 99,
    KP_ERR_UNKNOWN_TOPIC_ID = 100,
    KP_ERR_DUPLICATE_BROKER_REGISTRATION = 101,
    KP_ERR_BROKER_ID_NOT_REGISTERED = 102,
    KP_ERR_INCONSISTENT_TOPIC_ID = 103,
    KP_ERR_INCONSISTENT_CLUSTER_ID = 104,
    KP_ERR_TRANSACTIONAL_ID_NOT_FOUND = 105,
    KP_ERR_FETCH_SESSION_TOPIC_ID_ERROR = 106,
    KP_ERR_INELIGIBLE_REPLICA = 107,
    KP_ERR_NEW_LEADER_ELECTED = 108,
    KP_ERR_OFFSET_MOVED_TO_TIERED_STORAGE = 109,
    KP_ERR_FENCED_MEMBER_EPOCH = 110,
    KP_ERR_UNRELEASED_INSTANCE_ID = 111,
    KP_ERR_UNSUPPORTED_ASSIGNOR = 112,
    KP_ERR_STALE_MEMBER_EPOCH = 113,
    KP_ERR_MISMATCHED_ENDPOINT_TYPE = 114,
    KP_ERR_UNSUPPORTED_ENDPOINT_TYPE = 115,
    KP_ERR_UNKNOWN_CONTROLLER_ID = 116,
    KP_ERR_UNKNOWN_SUBSCRIPTION_ID = 117,
    KP_ERR_TELEMETRY_TOO_LARGE = 118,
    KP_ERR_INVALID_REGISTRATION = 119,
    KP_ERR_TRANSACTION_ABORTABLE = 120,
    KP_ERR_INVALID_RECORD_STATE = 121,
    KP_ERR_SHARE_SESSION_NOT_FOUND = 122,
    KP_ERR_INVALID_SHARE_SESSION_EPOCH = 123,
    KP_ERR_FENCED_STATE_EPOCH = 124,
    KP_ERR_INVALID_VOTER_KEY = 125,
    KP_ERR_DUPLICATE_VOTER = 126,
    KP_ERR_VOTER_NOT_FOUND = 127,
    KP_ERR_INVALID_REGULAR_EXPRESSION = 128,
    KP_ERR_REBOOTSTRAP_REQUIRED = 129,
    KP_ERR_STREAMS_INVALID_TOPOLOGY = 130,
    KP_ERR_STREAMS_INVALID_TOPOLOGY_EPOCH = 131,
    KP_ERR_STREAMS_TOPOLOGY_FENCED = 132,
    KP_ERR_SHARE_SESSION_LIMIT_REACHED = 133,

    /* kprod client-side errors: never sent by a broker. */
    KP_ERR__TIMED_OUT = -101,           /* a request or operation ran past its timeout */
    KP_ERR__MSG_TIMED_OUT = -102,       /* delivery.timeout.ms expired before the ack */
    KP_ERR__TRANSPORT = -103,           /* broker connection lost or refused */
    KP_ERR__BAD_MSG = -104,             /* malformed response from a broker */
    KP_ERR__QUEUE_FULL = -105,          /* buffer.memory exhausted */
    KP_ERR__DESTROY = -106,             /* producer closed before the record was delivered */
    KP_ERR__UNKNOWN_PARTITION = -107,   /* partition not in the topic's metadata */
    KP_ERR__UNKNOWN_TOPIC = -108,       /* topic not in the cluster's metadata */
    KP_ERR__INVALID_ARG = -109,         /* bad argument or configuration value */
    KP_ERR__PARTITIONER = -110,         /* the partitioner hook failed */
    KP_ERR__TRANSFORM = -111,           /* the record transform hook failed */
    KP_ERR__ALL_BROKERS_DOWN = -112,    /* no bootstrap or known broker reachable */
    KP_ERR__RESOLVE = -113,             /* broker host name did not resolve */
    KP_ERR__FATAL = -114,               /* the producer hit an unrecoverable error */
    KP_ERR__UNSUPPORTED_FEATURE = -115, /* the broker lacks an API version we need */
    KP_ERR__NO_MEMORY = -116,           /* allocation failed */
    KP_ERR__FAIL = -117,                /* local failure with no more specific code */
    KP_ERR__COMPRESSION = -118,         /* compressing or decompressing a batch failed */
    KP_ERR__INTR = -119,                /* a blocked send gave up: interrupted (SIGINT/SIGTERM) */
} kp_err;

/* Highest Kafka protocol code kprod knows; broker codes above it are still
 * passed through, they only lack a name and are treated as non-retriable. */
#define KP_ERR_KAFKA_MAX KP_ERR_SHARE_SESSION_LIMIT_REACHED

/* What kp_err_from_name returns for a name it does not know: no code can be it. */
#define KP_ERR_NAME_UNKNOWN INT_MIN

/* "NOT_LEADER_OR_FOLLOWER", "_TIMED_OUT", ... An unknown code gives
 * "UNKNOWN_ERROR_<n>" in a thread-local buffer that the next unknown-code call
 * on the same thread overwrites; every other result is a static string. */
const char *kp_err_name(int code);

/* One-line human description, a static string ("Unknown error code" when unknown). */
const char *kp_err_desc(int code);

/* 1 when the failed operation may succeed if retried: the Java client's
 * RetriableException subclasses, and for kprod codes the transient ones
 * (_TIMED_OUT, _TRANSPORT, _QUEUE_FULL, _ALL_BROKERS_DOWN, _RESOLVE). 0 for
 * NONE and unknown codes, as Java maps unknown codes to UNKNOWN_SERVER_ERROR. */
int kp_err_retriable(int code);

/* 1 when the error means our cluster view is stale and metadata should be
 * refreshed before retrying: the Java client's InvalidMetadataException
 * subclasses, plus _TRANSPORT (Java's NetworkException is one). Implies
 * kp_err_retriable. */
int kp_err_invalid_metadata(int code);

/* Code for a name as kp_err_name prints it, "UNKNOWN_ERROR_<n>" included.
 * Case-insensitive; also accepts the C enum spelling
 * ("KP_ERR_NOT_LEADER_OR_FOLLOWER", "KP_ERR__TIMED_OUT") and the older Kafka
 * names NOT_LEADER_FOR_PARTITION and UNKNOWN. Returns KP_ERR_NAME_UNKNOWN for
 * anything else, including NULL. */
int kp_err_from_name(const char *name);

/* Formats a message into the caller's errstr buffer (truncating to errlen;
 * NULL or 0 writes nothing) and returns -1, so a failing function can end
 * with `return kp_fail(errstr, errlen, "...", ...);`. */
__attribute__((format(printf, 3, 4))) int kp_fail(char *errstr, size_t errlen, const char *fmt, ...);

/* The table, for callers that list every code (the Lua constants, the mock's
 * help): kp_err_count() entries, kp_err_code_at(i) for i below it, Kafka codes
 * first in ascending order. Out of range gives KP_ERR_NAME_UNKNOWN. */
size_t kp_err_count(void);
int kp_err_code_at(size_t i);

#endif
