#!/usr/bin/env bash
# chaos_test.sh — the short chaos run (issue 8), ~35 s per peer with a fixed
# seed: three producer runs under seeded faults (spec/chaos/), read back by
# kcat with CRC checks and judged by spec/chaos/verify.lua. scripts/chaos is
# the long run. spec/chaos/README.md says what each profile must hold.
source "$(dirname "$0")/cluster.sh"
source "$(dirname "$0")/../chaos/chaos.sh"
if [[ -n "${KPROD_TEST_BROKERS:-}" ]]; then
  skip "chaos needs the mock's control commands (KPROD_TEST_BROKERS is a real cluster)"
  finish; exit
fi
SEED=15 # its schedules hold every fault kind the runs below check for

# field NAME: a value from the last run's "chaos: name=value ..." line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$CHAOS_SUMMARY"; }

# The same seed gives the same schedule; another seed another one.
BROKERS=127.0.0.1:9 # schedule.lua only draws; nothing connects
chaos_schedule $SEED mixed 8 t >"$work/s1"
chaos_schedule $SEED mixed 8 t >"$work/s2"
chaos_schedule $((SEED + 1)) mixed 8 t >"$work/s3"
check "same seed, same fault schedule" cmp -s "$work/s1" "$work/s2"
check_eq "another seed, another fault schedule" "$(cmp -s "$work/s1" "$work/s3"; echo $?)" 1

# run_checked LABEL PROFILE IDEMPOTENCE SECONDS: one run; its verdict is a check.
run_checked() {
  chaos_run "$1" "$2" "$3" $SEED "$4"
  check_eq "$1: every must-hold rule held ($(field verdict))" "$(field verdict)" ok
  check "$1: every fault command was accepted" test "$(grep -vc $'\tok$' "$work/$1/faults")" -eq 0
}

# Idempotence on with kprod.strict.ordering, every retriable Produce error,
# leader moves, a broker down and up: nothing lost, duplicated (of any kind),
# reordered or failed. Storms fail single requests; this mock then appends the
# later requests in flight, where Kafka refuses their sequence gap: only one
# batch per partition in flight keeps order on such a broker.
run_checked strict strict on-strict 10
for kind in NOT_LEADER_OR_FOLLOWER REQUEST_TIMED_OUT NOT_ENOUGH_REPLICAS NOT_ENOUGH_REPLICAS_AFTER_APPEND \
  NETWORK_EXCEPTION; do
  check "strict: a storm of $kind was injected" grep -q $'\tstorm:'"$kind"$'\t' "$work/strict/faults"
done
for kind in leader-move broker-down; do
  check "strict: $kind was injected" grep -q $'\t'"$kind"$'\t' "$work/strict/faults"
done
check_eq "strict: every record acknowledged" "$(field acked)" "$(field sent)"
check_eq "strict: no duplicate of any kind" "$(field dup)+$(field mock_dup)" "0+0"

# Idempotence on, RTT past request.timeout.ms and dropped connections:
# copies the mock appended without its answer reaching the producer are
# counted apart; nothing lost or reordered, no other duplicate.
run_checked unanswered unanswered on-strict 8
for kind in rtt-spike drop; do
  check "unanswered: $kind was injected" grep -q $'\t'"$kind"$'\t' "$work/unanswered/faults"
done
check_eq "unanswered: every record acknowledged" "$(field acked)" "$(field sent)"

# Idempotence on, batches pipelined per partition (Java's way, the default)
# under faults that fail a connection's requests together: leader moves, a
# broker down and up, drops, RTT spikes. Nothing lost or reordered; copies
# of unanswered appends counted apart, as above.
run_checked pipelined pipelined on 10
inflight_max=$(sed -n 's/.* partition_inflight_max=\([0-9]*\).*/\1/p' "$work/pipelined/table")
check "pipelined: a partition had several batches in flight at once (${inflight_max:-?})" \
  test "${inflight_max:-0}" -gt 1
for kind in leader-move broker-down drop rtt-spike; do
  check "pipelined: $kind was injected" grep -q $'\t'"$kind"$'\t' "$work/pipelined/faults"
done
check_eq "pipelined: every record acknowledged" "$(field acked)" "$(field sent)"

# Idempotence off, everything at once, TOPIC_AUTHORIZATION_FAILED aimed at
# the partitions broker 4 leads: failures reported through their callbacks.
run_checked mixed mixed off 8
check "mixed: non-retriable errors failed some records" test "$(field failed)" -gt 0
check "mixed: they failed with TOPIC_AUTHORIZATION_FAILED" grep -q "TOPIC_AUTHORIZATION_FAILED [0-9]" "$work/mixed/table"
finish
