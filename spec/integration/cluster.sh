# cluster.sh — sourced by integration tests: a Kafka peer to test against
# (the mock named by $KPROD_MOCK, or a real cluster in $KPROD_TEST_BROKERS),
# fault injection through the mock's control commands, check counters and
# the closing "N passed, N failed, N skipped" line.
#
# Environment: KPROD_BUILD (build dir with kprod), KPROD_MOCK (command that
# starts a mock peer), KPROD_PEER (legacy|modern), KPROD_TEST_BROKERS,
# KPROD_VALGRIND=1 (every kprod and kp_roundtrip the test starts runs under
# valgrind memcheck, spec/valgrind.sh; the mock peer does not).

set -uo pipefail
KPROD_BUILD=${KPROD_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
KPROD=$KPROD_BUILD/kprod
ROUNDTRIP=$KPROD_BUILD/kp_roundtrip
PEER=${KPROD_PEER:-legacy}
passed=0 failed=0 skipped=0
work=$(mktemp -d /tmp/kprod-it.XXXXXX)
VALGRIND=${KPROD_VALGRIND:-0}
if ((VALGRIND)); then
  source "$(dirname "${BASH_SOURCE[0]}")/../valgrind.sh"
  KPROD=$(valgrind_wrap "$KPROD" "$work")
  ROUNDTRIP=$(valgrind_wrap "$ROUNDTRIP" "$work")
fi
mock_pid=""
BROKERS=""
# Sanitizer reports of every process started here land in $work: finish
# turns any of them into a failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$work/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$work/ubsan"

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
  failed=$((failed + 1))
  echo "not ok - $1"
  shift
  local d
  for d in "$@"; do printf '    %s\n' "$d"; done
}
skip() { skipped=$((skipped + 1)); echo "skip - $1"; }
# check_timing DESCRIPTION COMMAND...: check, for a check only about wall-clock
# time; skipped under valgrind, which slows kprod 20-50x.
check_timing() {
  if ((VALGRIND)); then skip "$1: timing under valgrind is not meaningful"; else check "$@"; fi
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# check_eq DESCRIPTION GOT WANT
check_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "got:  $2" "want: $3"; fi
}

cluster_stop() {
  if [[ -n "$mock_pid" ]] && kill -0 "$mock_pid" 2>/dev/null; then
    echo quit >&"${MOCK[1]}" 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 "$mock_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
  fi
  mock_pid=""
}

# check_reports: a failure for each sanitizer or valgrind report in $work.
check_reports() {
  local report why lines
  for report in "$work"/asan.* "$work"/ubsan.*; do
    [[ -e "$report" ]] || continue
    fail "sanitizer report $(basename "$report")" "$(head -n 30 "$report")"
  done
  if ((VALGRIND)); then
    while IFS=$'\t' read -r report why; do
      mapfile -t lines < <(valgrind_excerpt "$report")
      fail "valgrind report $(basename "$report"): $why" "${lines[@]}"
    done < <(valgrind_failures "$work")
  fi
}

finish() {
  cluster_stop
  check_reports
  rm -rf "$work"
  echo "$passed passed, $failed failed, $skipped skipped"
  ((failed == 0))
}
trap 'cluster_stop; rm -rf "$work"' EXIT

# cluster_start [MOCK ARGS...]: starts the peer; sets BROKERS.
cluster_start() {
  if [[ -n "${KPROD_TEST_BROKERS:-}" ]]; then
    BROKERS=$KPROD_TEST_BROKERS
    return 0
  fi
  local -a cmd
  read -r -a cmd <<<"${KPROD_MOCK:-$KPROD_BUILD/kprod mock}"
  coproc MOCK { exec "${cmd[@]}" "$@" 2>"$work/mock.log"; }
  mock_pid=$MOCK_PID # bash unsets MOCK_PID when the coprocess ends
  if ! IFS= read -r -t 10 BROKERS <&"${MOCK[0]}"; then
    echo "cannot start the mock peer (${cmd[*]}): $(cat "$work/mock.log")" >&2
    exit 2
  fi
}

# have_mock: true when faults can be injected (not against a real cluster).
have_mock() { [[ -n "$mock_pid" ]]; }

# mock COMMAND: sends a control command; fails the test run if not "ok".
mock() {
  local answer
  printf '%s\n' "$*" >&"${MOCK[1]}"
  if ! IFS= read -r -t 10 answer <&"${MOCK[0]}" || [[ "$answer" != ok ]]; then
    fail "mock control '$*'" "answer: ${answer:-none}"
    return 1
  fi
}

# topic_create NAME PARTITIONS: on the mock creates it; on a real cluster
# relies on auto-creation (partition count then comes from metadata).
topic_create() {
  if have_mock; then mock "topic $1 $2"; fi
}

# partition_count TOPIC
partition_count() {
  kcat -L -b "$BROKERS" -t "$1" 2>/dev/null | grep -c '^ *partition [0-9]*,'
}

# consume TOPIC FILE: every record as "partition TAB offset TAB key TAB value"
# read back by kcat with CRC checks on, sorted by partition then offset.
consume() {
  kcat -C -b "$BROKERS" -t "$1" -e -q -X check.crcs=true -f '%p\t%o\t%k\t%s\n' 2>"$work/kcat.err" |
    sort -t $'\t' -k1,1n -k2,2n >"$2"
}

# uniq_topic PREFIX: a topic name not used before in this run.
uniq_topic() { echo "$1-$$-$RANDOM"; }

# keyed_input N FILE: N lines "key-I<TAB>value-I-..." (I = 1..N), values of
# varying length so batches fill unevenly.
keyed_input() {
  awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "key-%d\tvalue-%d-%s\n", i, i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + i % 36) }' >"$2"
}

# verify_keyed CONSUMED N LABEL [dups-ok]: checks what kcat read back from
# keyed_input N: every key exactly once (or at least once with dups-ok),
# values intact, and within each partition keys in the order they were sent.
verify_keyed() {
  local file=$1 n=$2 label=$3 dups=${4:-}
  local stats
  stats=$(awk -F'\t' '
    { i = substr($3, 5) + 0
      if ($4 != sprintf("value-%d-%s", i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + i % 36))) badval++
      if (seen[i]++) dup++; else first++
      if (i <= last[$1] && !seen2[$1 SUBSEP i]) order++
      seen2[$1 SUBSEP i] = 1
      if (i > last[$1]) last[$1] = i }
    END { printf "%d %d %d %d", first, dup, order, badval }' "$file")
  read -r unique dupcount disorder badval <<<"$stats"
  check_eq "$label: every one of $n records read back" "$unique" "$n"
  if [[ -z "$dups" ]]; then check_eq "$label: no duplicates" "$dupcount" 0; fi
  check_eq "$label: per-partition order kept" "$disorder" 0
  check_eq "$label: values intact" "$badval" 0
}

# paced FILE CHUNK DELAY: writes FILE to stdout CHUNK lines at a time with
# DELAY seconds between chunks, so faults can land in the middle of a run.
paced() {
  local total lines=0
  total=$(wc -l <"$1")
  while ((lines < total)); do
    tail -n +$((lines + 1)) "$1" | head -n "$2"
    lines=$((lines + $2))
    sleep "$3"
  done
}

# delivering TOPIC: waits until TOPIC holds a record: a kprod just started
# has connected, fetched metadata and delivered (under valgrind that takes
# seconds); a failed check after 60 s.
delivering() {
  local i
  for i in $(seq 300); do
    [[ -n "$(kcat -C -b "$BROKERS" -t "$1" -c 1 -e -q -f '.\n' 2>/dev/null)" ]] && return 0
    sleep 0.2
  done
  fail "a record reaches $1 within 60 s"
  return 1
}

# leader_of TOPIC PARTITION: the broker id leading it, from metadata.
leader_of() {
  kcat -L -b "$BROKERS" -t "$1" 2>/dev/null | sed -n "s/^ *partition $2, leader \([0-9]*\),.*/\1/p"
}
