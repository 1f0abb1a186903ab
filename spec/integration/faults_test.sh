#!/usr/bin/env bash
# faults_test.sh — the producer under injected faults (issue 4): retriable
# Produce errors, leader moves, a broker down then up, RTT past
# request.timeout.ms, a non-retriable error, delivery.timeout.ms expiry,
# buffer.memory exhaustion and forced close. Records are read back by kcat
# with CRC checks: with idempotence none may be lost, duplicated or reordered.
source "$(dirname "$0")/cluster.sh"
cluster_start
if ! have_mock; then
  skip "fault injection needs the mock's control commands (KPROD_TEST_BROKERS is a real cluster)"
  finish; exit
fi

N=20000
keyed_input $N "$work/in.txt"
# Small batches and linger so every run makes hundreds of requests.
PROPS=(-X batch.size=4096 -X linger.ms=2 -X retry.backoff.ms=20 -X retry.backoff.max.ms=200)

# produce_paced TOPIC LOG [EXTRA ARGS...]: the whole input at ~20k records/s.
produce_paced() {
  local t=$1 log=$2; shift 2
  paced "$work/in.txt" 1000 0.05 | "$KPROD" produce -q -b "$BROKERS" -t "$t" -K $'\t' "${PROPS[@]}" "$@" 2>"$log"
  local rc=${PIPESTATUS[1]}
  ((rc == 0)) || { echo "    kprod produce exited $rc:"; tail -n 4 "$log" | sed 's/^/    /'; }
  return "$rc"
}

# expect_exactly_once TOPIC LOG LABEL: every record acked once, read back once, in order.
expect_exactly_once() {
  check "$3: all $N acked" grep -q " $N acked, 0 failed" "$2"
  consume "$1" "$work/out.txt"
  verify_keyed "$work/out.txt" $N "$3"
}

# A storm fails single requests. Kafka then refuses the requests still in
# flight behind them (their sequence leaves a gap); this mock appends them.
# So these runs use kprod.strict.ordering, the mode that keeps order on such
# a broker; the pipelined default meets Kafka's answers further down.
for err in NOT_LEADER_OR_FOLLOWER REQUEST_TIMED_OUT NOT_ENOUGH_REPLICAS NOT_ENOUGH_REPLICAS_AFTER_APPEND; do
  t=$(uniq_topic "err-$err")
  topic_create "$t" 6
  mock "errors Produce $err 8"
  produce_paced "$t" "$work/p.log" -X kprod.strict.ordering=true
  check "$err: the producer retried" grep -qE "[1-9][0-9]* batches retried" "$work/p.log"
  expect_exactly_once "$t" "$work/p.log" "$err x8"
done

# burst_after_warmup TOPIC ERRORS: one record first (connection, metadata and
# producer id settle), then ERRORS are queued on the mock and the rest of the
# input comes at once: the first five full batches go out back to back, all
# before the first answer (a 200 ms round trip), so the five refusals meet
# five batches pipelined in one window, as Kafka would answer them.
burst_after_warmup() {
  local t=$1 errors=$2 feed
  mock "rtt all 200"
  rm -f "$work/feed"
  mkfifo "$work/feed"
  "$KPROD" produce -q -b "$BROKERS" -t "$t" -K $'\t' "${PROPS[@]}" <"$work/feed" 2>"$work/p.log" &
  local pid=$!
  exec {feed}>"$work/feed"
  head -n 1 "$work/in.txt" >&"$feed"
  delivering "$t"
  mock "errors Produce $errors 1"
  tail -n +2 "$work/in.txt" >&"$feed"
  exec {feed}>&-
  wait $pid
  mock "rtt all 0"
}

# summary_count WHAT: the count before WHAT in kprod produce's summary line
# ("..., 0 epoch bumps, 4 gap retries, ...") of the last run.
summary_count() { sed -n "s/.* \([0-9]*\) $1,.*/\1/p" "$work/p.log"; }

# The pipelined default (several batches of a partition in flight, as in
# Java) where one request fails: Kafka answers the requests behind it with
# OUT_OF_ORDER_SEQUENCE_NUMBER (the mock is told to here; it checks no
# sequence itself). The refused batches are retried behind the failed one,
# in order, with no new epoch: the gap is one the producer knows of.
oos=OUT_OF_ORDER_SEQUENCE_NUMBER
t=$(uniq_topic pipelined-gap)
topic_create "$t" 1
burst_after_warmup "$t" "NOT_LEADER_OR_FOLLOWER,$oos,$oos,$oos,$oos"
inflight=$(sed -n 's/.* at most \([0-9]*\) of a partition in flight$/\1/p' "$work/p.log")
check "pipelined gap: five batches of the partition were in flight (${inflight:-?})" \
  test "${inflight:-0}" -eq 5
gaps=$(summary_count "gap retries") bumps=$(summary_count "epoch bumps")
check "pipelined gap: the 4 refused batches were retried behind the gap (${gaps:-?})" \
  test "${gaps:-0}" -eq 4
check "pipelined gap: no new epoch (${bumps:-?} bumps)" test "${bumps:-99}" -eq 0
expect_exactly_once "$t" "$work/p.log" "pipelined gap (NOT_LEADER then OUT_OF_ORDER_SEQUENCE_NUMBER x4)"

# MESSAGE_TOO_LARGE: the batch is split in halves and both are re-sent.
# As in the storms above, this mock would append what is pipelined behind the
# refused batch, so this run keeps one batch per partition in flight.
t=$(uniq_topic too-large)
topic_create "$t" 6
mock "errors Produce MESSAGE_TOO_LARGE 3"
produce_paced "$t" "$work/p.log" -X kprod.strict.ordering=true
check "MESSAGE_TOO_LARGE: batches were split" grep -qE "[1-9][0-9]* split" "$work/p.log"
expect_exactly_once "$t" "$work/p.log" "MESSAGE_TOO_LARGE x3"

# The pipelined default meeting MESSAGE_TOO_LARGE as Kafka answers it: the
# requests in flight behind the big batch are refused for the gap. The halves
# keep the big batch's sequence range (Java's ProducerBatch.split), so they go
# first and the refused batches follow them, in order, with no new epoch.
t=$(uniq_topic pipelined-too-large)
topic_create "$t" 1
burst_after_warmup "$t" "MESSAGE_TOO_LARGE,$oos,$oos,$oos,$oos"
check "pipelined MESSAGE_TOO_LARGE: the batch was split" grep -qE " 1 split" "$work/p.log"
gaps=$(summary_count "gap retries") bumps=$(summary_count "epoch bumps")
check "pipelined MESSAGE_TOO_LARGE: the 4 refused batches were retried behind the halves (${gaps:-?})" \
  test "${gaps:-0}" -eq 4
check "pipelined MESSAGE_TOO_LARGE: no new epoch (${bumps:-?} bumps)" test "${bumps:-99}" -eq 0
expect_exactly_once "$t" "$work/p.log" "pipelined MESSAGE_TOO_LARGE (then OUT_OF_ORDER_SEQUENCE_NUMBER x4)"

# OUT_OF_ORDER_SEQUENCE_NUMBER on a batch with nothing of its partition before
# it: the broker lost the producer's state, so the producer bumps its epoch
# and retries. One batch per partition in flight, as in the storms: this mock
# would append a batch pipelined behind the refused one, which Kafka refuses
# for the gap (that answer is the pipelined gap run above).
t=$(uniq_topic out-of-order)
topic_create "$t" 6
mock "errors Produce OUT_OF_ORDER_SEQUENCE_NUMBER 2"
produce_paced "$t" "$work/p.log" -X kprod.strict.ordering=true
check "OUT_OF_ORDER_SEQUENCE_NUMBER: the epoch was bumped" grep -qE "[1-9][0-9]* epoch bumps" "$work/p.log"
expect_exactly_once "$t" "$work/p.log" "OUT_OF_ORDER_SEQUENCE_NUMBER x2"

# DUPLICATE_SEQUENCE_NUMBER means the broker has the batch already: success.
t=$(uniq_topic dup-seq)
topic_create "$t" 6
mock "errors Produce DUPLICATE_SEQUENCE_NUMBER 1"
produce_paced "$t" "$work/p.log"
check "DUPLICATE_SEQUENCE_NUMBER: every record reported acked" grep -q " $N acked, 0 failed" "$work/p.log"

# Without idempotence, max.in.flight.requests.per.connection=1 keeps order across retries.
t=$(uniq_topic inflight1)
topic_create "$t" 6
mock "errors Produce NOT_LEADER_OR_FOLLOWER 8"
produce_paced "$t" "$work/p.log" -X enable.idempotence=false -X max.in.flight.requests.per.connection=1
expect_exactly_once "$t" "$work/p.log" "in-flight 1, no idempotence"

# Leadership moves while records flow.
t=$(uniq_topic leader-move)
topic_create "$t" 6
produce_paced "$t" "$work/p.log" &
pid=$!
delivering "$t"
sleep 0.3; mock "leader $t 0 2"; mock "leader $t 1 3"; mock "leader $t 2 1"
sleep 0.3; mock "leader $t 0 3"; mock "leader $t 3 2"
wait $pid
expect_exactly_once "$t" "$work/p.log" "leader moves"

# A broker goes down mid-stream and comes back.
t=$(uniq_topic broker-down)
topic_create "$t" 6
produce_paced "$t" "$work/p.log" &
pid=$!
delivering "$t"
sleep 0.3; mock "down 1"; sleep 0.5; mock "up 1"
wait $pid
expect_exactly_once "$t" "$work/p.log" "broker 1 down then up"

# RTT past request.timeout.ms: requests to one broker time out and are retried.
# The mock appends a request before delaying its answer and checks sequence
# numbers only for transactional producers, so a retried request it already
# appended shows up twice here; a broker that checks sequences (Kafka) drops
# the copy, since the retry carries the same producer id, epoch and sequence.
# Asserted: nothing lost, order of first appearance kept, retries happened.
t=$(uniq_topic rtt)
topic_create "$t" 6
# Eight seconds of traffic; the RTT arrives mid-stream (the mock may take up
# to a second to apply a command) and leaves before the end.
paced "$work/in.txt" 250 0.1 | "$KPROD" produce -q -b "$BROKERS" -t "$t" -K $'\t' "${PROPS[@]}" \
  -X request.timeout.ms=1000 -X delivery.timeout.ms=60000 2>"$work/p.log" &
pid=$!
slow=$(leader_of "$t" 0) # the mock places leaders at random: pick one that leads
delivering "$t"
sleep 0.5; mock "rtt ${slow:-1} 1500"
sleep 5; mock "rtt ${slow:-1} 0"
wait $pid
check "rtt past request.timeout.ms: all $N acked" grep -q " $N acked, 0 failed" "$work/p.log"
check "rtt past request.timeout.ms: timed-out requests were retried" grep -qE "[1-9][0-9]* batches retried" "$work/p.log"
consume "$t" "$work/out.txt"
verify_keyed "$work/out.txt" $N "rtt past request.timeout.ms" dups-ok

# A non-retriable error fails exactly the records of the request it hit.
t=$(uniq_topic authz)
topic_create "$t" 6
mock "errors Produce TOPIC_AUTHORIZATION_FAILED 1"
produce_paced "$t" "$work/p.log" >/dev/null
check_eq "TOPIC_AUTHORIZATION_FAILED: exit status 1" "$?" 1
failed_n=$(sed -n 's/.* \([0-9]*\) failed with TOPIC_AUTHORIZATION_FAILED$/\1/p' "$work/p.log")
acked_n=$(sed -n 's/.* \([0-9]*\) acked, .*/\1/p' "$work/p.log")
check "TOPIC_AUTHORIZATION_FAILED: some records failed with it" test "${failed_n:-0}" -gt 0
check_eq "TOPIC_AUTHORIZATION_FAILED: acked + failed = sent" "$((acked_n + failed_n))" $N
check "TOPIC_AUTHORIZATION_FAILED: failures name the line and the error" \
  grep -q "in.txt\|-:[0-9]*: delivery failed: TOPIC_AUTHORIZATION_FAILED" "$work/p.log"
consume "$t" "$work/out.txt"
check_eq "TOPIC_AUTHORIZATION_FAILED: exactly the acked records were written" "$(wc -l <"$work/out.txt")" "$acked_n"
check_eq "TOPIC_AUTHORIZATION_FAILED: none twice" "$(cut -f3 "$work/out.txt" | sort | uniq -d | wc -l)" 0

# delivery.timeout.ms: brokers down after metadata; every record fails in time.
t=$(uniq_topic expiry)
topic_create "$t" 3
mkfifo "$work/fifo"
"$KPROD" produce -q -b "$BROKERS" -t "$t" -X delivery.timeout.ms=2000 -X request.timeout.ms=1000 \
  -X linger.ms=0 <"$work/fifo" 2>"$work/p.log" &
pid=$!
exec 7>"$work/fifo"
echo warmup >&7; delivering "$t"
mock "down all"
start=$(date +%s%N)
for i in $(seq 100); do echo "late-$i" >&7; done
exec 7>&-
wait $pid
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check_eq "delivery timeout: exit status 1" "$rc" 1
check "delivery timeout: 100 records failed with _MSG_TIMED_OUT" grep -q "100 failed with _MSG_TIMED_OUT" "$work/p.log"
check_timing "delivery timeout: all reported within 2000 ms + 1500 ms margin ($elapsed_ms ms)" test "$elapsed_ms" -lt 3500
mock "up all"

# buffer.memory full: sends block max.block.ms, then fail with a clear error.
t=$(uniq_topic bufmem)
topic_create "$t" 1
rm -f "$work/fifo"; mkfifo "$work/fifo"
"$KPROD" produce -q -b "$BROKERS" -t "$t" -X buffer.memory=65536 -X batch.size=16384 -X max.block.ms=300 \
  -X delivery.timeout.ms=3000 -X request.timeout.ms=1000 -X linger.ms=0 <"$work/fifo" 2>"$work/p.log" &
pid=$!
exec 7>"$work/fifo"
echo warmup >&7; delivering "$t"
mock "down all"
head -c 200000 /dev/zero | tr '\0' v | fold -w 100 >&7
exec 7>&-
wait $pid
check "buffer.memory full: records rejected naming buffer.memory and max.block.ms" \
  grep -q "not sent: buffer.memory=65536 is full and no room came within max.block.ms=300 ms" "$work/p.log"
mock "up all"

# Forced close: a second SIGINT fails what is left with _DESTROY, at once.
t=$(uniq_topic forced)
topic_create "$t" 1
rm -f "$work/fifo"; mkfifo "$work/fifo"
"$KPROD" produce -q -b "$BROKERS" -t "$t" -X linger.ms=0 <"$work/fifo" 2>"$work/p.log" &
pid=$!
exec 7>"$work/fifo"
echo warmup >&7; delivering "$t"
mock "down all"
for i in $(seq 50); do echo "stuck-$i" >&7; done
sleep 0.3
start=$(date +%s%N)
kill -INT $pid; sleep 0.2; kill -INT $pid
wait $pid
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
exec 7>&-
check_eq "forced close: exit status 1" "$rc" 1
check "forced close: the 50 stuck records fail with _DESTROY" grep -q "50 failed with _DESTROY" "$work/p.log"
check_timing "forced close: done within 2 s ($elapsed_ms ms)" test "$elapsed_ms" -lt 2000
mock "up all"
finish
