/* kp_err.c — the error table: names, descriptions, retriable and invalid-metadata flags. */
#include "kp_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

enum {
    RETRIABLE = 1,
    INVALID_METADATA = 2,
};
/* Flag shorthands for the table: Java's InvalidMetadataException extends
 * RetriableException, so M carries both bits. */
#define R RETRIABLE
#define M (RETRIABLE | INVALID_METADATA)

typedef struct kp_err_entry {
    int code;
    const char *name;
    const char *old_name; /* name in earlier Kafka releases, still accepted by kp_err_from_name */
    int flags;
    const char *desc;
} kp_err_entry;

/* Pasting the enum name keeps the printed name and the C identifier from
 * drifting apart: a typo here fails to compile. */
#define E(name, flags, desc) {KP_ERR_##name, #name, NULL, flags, desc}
#define E_OLD(name, old, flags, desc) {KP_ERR_##name, #name, old, flags, desc}
#define LOCAL(name, flags, desc) {KP_ERR__##name, "_" #name, NULL, flags, desc}

/* Kafka codes come first, in order from -1, so a Kafka code's entry sits at
 * index code + 1; lookup() relies on it and the test checks it. Flags follow
 * the exception class each code maps to in the Java client. */
static const kp_err_entry table[] = {
    E_OLD(UNKNOWN_SERVER_ERROR, "UNKNOWN", 0, "The broker hit an unexpected error while processing the request"),
    E(NONE, 0, "Success"),
    E(OFFSET_OUT_OF_RANGE, 0, "The requested offset is outside the range the broker holds"),
    E(CORRUPT_MESSAGE, R, "The record failed its CRC check, exceeds the valid size, or is otherwise corrupt"),
    E(UNKNOWN_TOPIC_OR_PARTITION, M, "The broker does not host this topic-partition"),
    E(INVALID_FETCH_SIZE, 0, "The requested fetch size is invalid"),
    E(LEADER_NOT_AVAILABLE, M, "The partition has no leader, a leader election is in progress"),
    E_OLD(NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_FOR_PARTITION", M,
          "The broker is not the leader (or a replica) of this partition"),
    E(REQUEST_TIMED_OUT, R, "The request timed out on the broker"),
    E(BROKER_NOT_AVAILABLE, 0, "The broker is not available"),
    E(REPLICA_NOT_AVAILABLE, M, "The replica is not available for this partition"),
    E(MESSAGE_TOO_LARGE, 0, "The record is larger than the maximum size allowed"),
    E(STALE_CONTROLLER_EPOCH, 0, "The controller moved to another broker"),
    E(OFFSET_METADATA_TOO_LARGE, 0, "The offset commit metadata is too large"),
    E(NETWORK_EXCEPTION, M, "The broker disconnected before a response was received"),
    E(COORDINATOR_LOAD_IN_PROGRESS, R, "The coordinator is still loading and cannot serve requests yet"),
    E(COORDINATOR_NOT_AVAILABLE, R, "The coordinator is not available"),
    E(NOT_COORDINATOR, R, "This broker is not the coordinator"),
    E(INVALID_TOPIC_EXCEPTION, 0, "The topic name is invalid or the operation is not allowed on it"),
    E(RECORD_LIST_TOO_LARGE, 0, "The record batch is larger than the broker's segment size"),
    E(NOT_ENOUGH_REPLICAS, R, "Rejected: fewer in-sync replicas than min.insync.replicas"),
    E(NOT_ENOUGH_REPLICAS_AFTER_APPEND, R, "Written, but to fewer in-sync replicas than required"),
    E(INVALID_REQUIRED_ACKS, 0, "The produce request has an invalid acks value"),
    E(ILLEGAL_GENERATION, 0, "The group generation id is not valid"),
    E(INCONSISTENT_GROUP_PROTOCOL, 0, "The member's protocols are incompatible with the group's"),
    E(INVALID_GROUP_ID, 0, "The group id is invalid"),
    E(UNKNOWN_MEMBER_ID, 0, "The coordinator does not know this member"),
    E(INVALID_SESSION_TIMEOUT, 0, "The session timeout is outside the broker's allowed range"),
    E(REBALANCE_IN_PROGRESS, 0, "The group is rebalancing, the member must rejoin"),
    E(INVALID_COMMIT_OFFSET_SIZE, 0, "The offset commit data size is not valid"),
    E(TOPIC_AUTHORIZATION_FAILED, 0, "Not authorized to access the topic"),
    E(GROUP_AUTHORIZATION_FAILED, 0, "Not authorized to access the group"),
    E(CLUSTER_AUTHORIZATION_FAILED, 0, "Not authorized for this cluster operation"),
    E(INVALID_TIMESTAMP, 0, "The record timestamp is outside the acceptable range"),
    E(UNSUPPORTED_SASL_MECHANISM, 0, "The broker does not support the requested SASL mechanism"),
    E(ILLEGAL_SASL_STATE, 0, "The request is not valid in the current SASL state"),
    E(UNSUPPORTED_VERSION, 0, "The broker does not support this API version"),
    E(TOPIC_ALREADY_EXISTS, 0, "A topic with this name already exists"),
    E(INVALID_PARTITIONS, 0, "The number of partitions is invalid"),
    E(INVALID_REPLICATION_FACTOR, 0, "The replication factor is invalid"),
    E(INVALID_REPLICA_ASSIGNMENT, 0, "The replica assignment is invalid"),
    E(INVALID_CONFIG, 0, "The configuration is invalid"),
    E(NOT_CONTROLLER, R, "This broker is not the active controller"),
    E(INVALID_REQUEST, 0, "The broker rejected the request as malformed or unsupported; see the broker log"),
    E(UNSUPPORTED_FOR_MESSAGE_FORMAT, 0, "The broker's message format version does not support the request"),
    E(POLICY_VIOLATION, 0, "The request violates a configured broker policy"),
    E(OUT_OF_ORDER_SEQUENCE_NUMBER, 0, "The broker received an out of order producer sequence number"),
    E(DUPLICATE_SEQUENCE_NUMBER, 0, "The broker received a duplicate producer sequence number"),
    E(INVALID_PRODUCER_EPOCH, 0, "The producer epoch is older than the broker's"),
    E(INVALID_TXN_STATE, 0, "The transactional operation is invalid in the current state"),
    E(INVALID_PRODUCER_ID_MAPPING, 0, "The producer id is not assigned to this transactional id"),
    E(INVALID_TRANSACTION_TIMEOUT, 0, "The transaction timeout exceeds transaction.max.timeout.ms"),
    E(CONCURRENT_TRANSACTIONS, R, "Another operation on the same transaction is in progress"),
    E(TRANSACTION_COORDINATOR_FENCED, 0, "The transaction coordinator is no longer current for this producer"),
    E(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 0, "Not authorized for the transactional id"),
    E(SECURITY_DISABLED, 0, "Security features are disabled on the broker"),
    E(OPERATION_NOT_ATTEMPTED, 0, "The broker did not attempt the operation because others in the batch failed"),
    E(KAFKA_STORAGE_ERROR, M, "Disk error on the broker while accessing the log"),
    E(LOG_DIR_NOT_FOUND, 0, "The log directory is not in the broker configuration"),
    E(SASL_AUTHENTICATION_FAILED, 0, "SASL authentication failed"),
    E(UNKNOWN_PRODUCER_ID, 0, "The broker has no state for this producer id (its records may have expired)"),
    E(REASSIGNMENT_IN_PROGRESS, 0, "A partition reassignment is in progress"),
    E(DELEGATION_TOKEN_AUTH_DISABLED, 0, "Delegation tokens are not enabled"),
    E(DELEGATION_TOKEN_NOT_FOUND, 0, "The delegation token was not found"),
    E(DELEGATION_TOKEN_OWNER_MISMATCH, 0, "The principal is not the token's owner or renewer"),
    E(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 0, "Delegation token requests are not allowed on this channel"),
    E(DELEGATION_TOKEN_AUTHORIZATION_FAILED, 0, "Not authorized for the delegation token"),
    E(DELEGATION_TOKEN_EXPIRED, 0, "The delegation token has expired"),
    E(INVALID_PRINCIPAL_TYPE, 0, "The principal type is not supported"),
    E(NON_EMPTY_GROUP, 0, "The group is not empty"),
    E(GROUP_ID_NOT_FOUND, 0, "The group id does not exist"),
    E(FETCH_SESSION_ID_NOT_FOUND, R, "The fetch session id was not found"),
    E(INVALID_FETCH_SESSION_EPOCH, R, "The fetch session epoch is invalid"),
    E(LISTENER_NOT_FOUND, M, "The leader has no listener matching the one the metadata request used"),
    E(TOPIC_DELETION_DISABLED, 0, "Topic deletion is disabled"),
    E(FENCED_LEADER_EPOCH, M, "The request's leader epoch is older than the broker's"),
    E(UNKNOWN_LEADER_EPOCH, R, "The request's leader epoch is newer than the broker's"),
    E(UNSUPPORTED_COMPRESSION_TYPE, 0, "The compression type is not supported for this request"),
    E(STALE_BROKER_EPOCH, 0, "The broker epoch has changed"),
    E(OFFSET_NOT_AVAILABLE, R, "The leader's high watermark has not caught up after an election"),
    E(MEMBER_ID_REQUIRED, 0, "The member needs a member id before joining the group"),
    E(PREFERRED_LEADER_NOT_AVAILABLE, M, "The preferred leader is not available"),
    E(GROUP_MAX_SIZE_REACHED, 0, "The group has reached its maximum size"),
    E(FENCED_INSTANCE_ID, 0, "Another member with the same group.instance.id fenced this one"),
    E(ELIGIBLE_LEADERS_NOT_AVAILABLE, M, "No eligible leader is available for the partition"),
    E(ELECTION_NOT_NEEDED, M, "The partition does not need a leader election"),
    E(NO_REASSIGNMENT_IN_PROGRESS, 0, "No partition reassignment is in progress"),
    E(GROUP_SUBSCRIBED_TO_TOPIC, 0, "Cannot delete offsets of a topic the group is subscribed to"),
    E(INVALID_RECORD, 0, "The broker's validation rejected the record"),
    E(UNSTABLE_OFFSET_COMMIT, R, "There are unstable offsets that must be cleared first"),
    E(THROTTLING_QUOTA_EXCEEDED, R, "The throttling quota has been exceeded"),
    E(PRODUCER_FENCED, 0, "A newer producer with the same transactional.id fenced this one"),
    E(RESOURCE_NOT_FOUND, 0, "The request referred to a resource that does not exist"),
    E(DUPLICATE_RESOURCE, 0, "The request referred to the same resource twice"),
    E(UNACCEPTABLE_CREDENTIAL, 0, "The credential does not meet the acceptability criteria"),
    E(INCONSISTENT_VOTER_SET, 0, "The sender or recipient is not one of the expected voters"),
    E(INVALID_UPDATE_VERSION, 0, "The update version is invalid"),
    E(FEATURE_UPDATE_FAILED, 0, "Updating the finalized features failed on the broker"),
    E(PRINCIPAL_DESERIALIZATION_FAILURE, 0, "The forwarded request principal could not be deserialized"),
    E(SNAPSHOT_NOT_FOUND, 0, "The requested snapshot was not found"),
    E(POSITION_OUT_OF_RANGE, 0, "The requested position is outside the snapshot"),
    E(UNKNOWN_TOPIC_ID, M, "The broker does not host this topic id"),
    E(DUPLICATE_BROKER_REGISTRATION, 0, "The broker id is already registered"),
    E(BROKER_ID_NOT_REGISTERED, 0, "The broker id is not registered"),
    E(INCONSISTENT_TOPIC_ID, M, "The log's topic id does not match the request's"),
    E(INCONSISTENT_CLUSTER_ID, 0, "The request's cluster id does not match the server's"),
    E(TRANSACTIONAL_ID_NOT_FOUND, 0, "The transactional id was not found"),
    E(FETCH_SESSION_TOPIC_ID_ERROR, R, "The fetch session used topic ids inconsistently"),
    E(INELIGIBLE_REPLICA, 0, "The new ISR contains an ineligible replica"),
    E(NEW_LEADER_ELECTED, 0, "The partition state was updated but the leader changed"),
    E(OFFSET_MOVED_TO_TIERED_STORAGE, 0, "The requested offset has moved to tiered storage"),
    E(FENCED_MEMBER_EPOCH, 0, "The member epoch is fenced; the member must rejoin"),
    E(UNRELEASED_INSTANCE_ID, 0, "The instance id is still used by another group member"),
    E(UNSUPPORTED_ASSIGNOR, 0, "The group does not support the assignor or its version"),
    E(STALE_MEMBER_EPOCH, 0, "The member epoch is stale"),
    E(MISMATCHED_ENDPOINT_TYPE, 0, "The request was sent to the wrong type of endpoint"),
    E(UNSUPPORTED_ENDPOINT_TYPE, 0, "The endpoint type is not supported"),
    E(UNKNOWN_CONTROLLER_ID, 0, "The controller id is not known"),
    E(UNKNOWN_SUBSCRIPTION_ID, 0, "The telemetry subscription id is invalid or outdated"),
    E(TELEMETRY_TOO_LARGE, 0, "The telemetry push exceeds the broker's maximum size"),
    E(INVALID_REGISTRATION, 0, "The controller considers the broker registration invalid"),
    E(TRANSACTION_ABORTABLE, 0, "The transaction hit an error; abort it to keep using the transactional id"),
    E(INVALID_RECORD_STATE, 0, "The record state is invalid; the acknowledgement failed"),
    E(SHARE_SESSION_NOT_FOUND, R, "The share session was not found"),
    E(INVALID_SHARE_SESSION_EPOCH, R, "The share session epoch is invalid"),
    E(FENCED_STATE_EPOCH, 0, "The share-group state epoch did not match"),
    E(INVALID_VOTER_KEY, 0, "The voter key does not match the receiving replica's"),
    E(DUPLICATE_VOTER, 0, "The voter is already in the voter set"),
    E(VOTER_NOT_FOUND, 0, "The voter is not in the voter set"),
    E(INVALID_REGULAR_EXPRESSION, 0, "The regular expression is not valid"),
    E(REBOOTSTRAP_REQUIRED, 0, "Client metadata is stale; the client must rebootstrap"),
    E(STREAMS_INVALID_TOPOLOGY, 0, "The streams topology is invalid"),
    E(STREAMS_INVALID_TOPOLOGY_EPOCH, 0, "The streams topology epoch is invalid"),
    E(STREAMS_TOPOLOGY_FENCED, 0, "The streams topology epoch is outdated"),
    E(SHARE_SESSION_LIMIT_REACHED, R, "The share session limit has been reached"),

    LOCAL(TIMED_OUT, R, "Local: operation timed out"),
    LOCAL(MSG_TIMED_OUT, 0, "Local: delivery.timeout.ms expired before the record was acknowledged"),
    /* A lost connection invalidates our view of who leads what, as Java's
     * NetworkException (an InvalidMetadataException) does. */
    LOCAL(TRANSPORT, M, "Local: broker connection lost"),
    LOCAL(BAD_MSG, 0, "Local: malformed response from broker"),
    LOCAL(QUEUE_FULL, R, "Local: buffer.memory is full"),
    LOCAL(DESTROY, 0, "Local: producer closed before the record was delivered"),
    LOCAL(UNKNOWN_PARTITION, 0, "Local: unknown partition"),
    LOCAL(UNKNOWN_TOPIC, 0, "Local: unknown topic"),
    LOCAL(INVALID_ARG, 0, "Local: invalid argument or configuration"),
    LOCAL(PARTITIONER, 0, "Local: partitioner hook failed"),
    LOCAL(TRANSFORM, 0, "Local: record transform hook failed"),
    LOCAL(ALL_BROKERS_DOWN, R, "Local: all brokers are down"),
    LOCAL(RESOLVE, R, "Local: broker host name resolution failed"),
    LOCAL(FATAL, 0, "Local: fatal producer error"),
    LOCAL(UNSUPPORTED_FEATURE, 0, "Local: the broker does not support a required feature"),
    LOCAL(NO_MEMORY, 0, "Local: out of memory"),
    LOCAL(FAIL, 0, "Local: failure"),
    LOCAL(COMPRESSION, 0, "Local: compression or decompression failed"),
    LOCAL(INTR, 0, "Local: interrupted while waiting"),
};

#define TABLE_LEN (sizeof table / sizeof table[0])

static const kp_err_entry *lookup(int code) {
    if (code >= -1 && code <= KP_ERR_KAFKA_MAX && table[code + 1].code == code) return &table[code + 1];
    for (size_t i = 0; i < TABLE_LEN; i++)
        if (table[i].code == code) return &table[i];
    return NULL;
}

const char *kp_err_name(int code) {
    const kp_err_entry *e = lookup(code);
    if (e) return e->name;
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "UNKNOWN_ERROR_%d", code);
    return buf;
}

const char *kp_err_desc(int code) {
    const kp_err_entry *e = lookup(code);
    return e ? e->desc : "Unknown error code";
}

int kp_err_retriable(int code) {
    const kp_err_entry *e = lookup(code);
    return e && (e->flags & RETRIABLE);
}

int kp_err_invalid_metadata(int code) {
    const kp_err_entry *e = lookup(code);
    return e && (e->flags & INVALID_METADATA);
}

size_t kp_err_count(void) { return TABLE_LEN; }

int kp_err_code_at(size_t i) { return i < TABLE_LEN ? table[i].code : KP_ERR_NAME_UNKNOWN; }

int kp_err_from_name(const char *name) {
    if (!name) return KP_ERR_NAME_UNKNOWN;
    /* "KP_ERR_X" -> "X" and "KP_ERR__X" -> "_X": the enum spelling maps onto
     * the printed one by dropping the prefix. */
    if (strncasecmp(name, "KP_ERR_", 7) == 0) name += 7;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        if (strcasecmp(name, table[i].name) == 0) return table[i].code;
        if (table[i].old_name && strcasecmp(name, table[i].old_name) == 0) return table[i].code;
    }
    /* kp_err_name's spelling of a code missing from the table, so names read
     * back from logs or a newer broker's codes still round-trip. */
    if (strncasecmp(name, "UNKNOWN_ERROR_", 14) == 0 && name[14] != '\0') {
        char *end;
        errno = 0;
        long v = strtol(name + 14, &end, 10);
        if (*end == '\0' && errno == 0 && v > INT_MIN && v <= INT_MAX) return (int)v;
    }
    return KP_ERR_NAME_UNKNOWN;
}

int kp_fail(char *errstr, size_t errlen, const char *fmt, ...) {
    if (errstr && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
