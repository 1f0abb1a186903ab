# chaos.sh — sourced with spec/integration/cluster.sh: one chaos run (fresh 4-broker mock, paced producer, seeded fault controller, kcat read-back, verdict).
#
# chaos_run LABEL PROFILE on|on-strict|off SEED SECONDS [RATE]
#   Starts a 4-broker mock, creates an 8-partition topic, draws the fault
#   schedule for SEED and PROFILE (schedule.lua), runs chaos_producer.lua at
#   RATE records/s (default 1500) for SECONDS with enable.idempotence on
#   (batches pipelined per partition, as in Java), on-strict (on, plus
#   kprod.strict.ordering=true) or off,
#   while the controller injects the schedule's commands at their times,
#   reads the topic back with kcat (check.crcs=true) and prints verify.lua's
#   table. Returns verify.lua's status (0: every must-hold rule held).
#   Leaves its files in $work/LABEL/ and the last "chaos: ..." line in
#   $CHAOS_SUMMARY (read by scripts/chaos and chaos_test.sh).

CHAOS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHAOS_PARTITIONS=8
CHAOS_REQUEST_TIMEOUT_MS=1500
CHAOS_SUMMARY=""

# chaos_use_peer PROGRAM legacy|modern BUILD_DIR: exports what cluster.sh
# (sourced next) needs to start that peer; complains as PROGRAM and fails
# for an unknown peer or a missing build.
chaos_use_peer() {
  local mock_cmd
  case "$2" in
    legacy) mock_cmd="$3/kprod mock" ;;
    modern) mock_cmd="$3/kprod-mock-modern" ;;
    *) echo "$1: --peer expects legacy or modern, got '$2'" >&2; return 1 ;;
  esac
  if [[ ! -x "$3/kprod" || ! -x "${mock_cmd%% *}" ]]; then
    echo "$1: ${mock_cmd%% *} is missing: run scripts/bootstrap first" >&2
    return 1
  fi
  export KPROD_BUILD="$3" KPROD_MOCK="$mock_cmd" KPROD_PEER="$2"
  unset KPROD_TEST_BROKERS
}

# chaos_schedule SEED PROFILE SECONDS TOPIC: the schedule on stdout.
chaos_schedule() {
  "$KPROD" run "$CHAOS_DIR/schedule.lua" -b "$BROKERS" -- \
    "$1" "$2" "$3" "$4" "$CHAOS_PARTITIONS" "$CHAOS_REQUEST_TIMEOUT_MS"
}

# chaos_setup SCHEDULE FAULTS: sends the schedule's setup lines (leader
# placement) at once, logs them to FAULTS, and gives the mock a second.
chaos_setup() {
  local at kind cmd
  while IFS=$'\t' read -r at kind cmd; do
    [[ $kind == setup ]] || continue
    mock "$cmd" && printf '0\t%s\t%s\tok\n' "$kind" "$cmd" >>"$2"
  done <"$1"
  sleep 1 # the mock applies control commands within about a second
}

# chaos_control SCHEDULE FAULTS START_NS: sends each command when its time
# comes (relative to START_NS), appending "AT_MS TAB KIND TAB COMMAND TAB
# ANSWER" lines to FAULTS. Setup lines are chaos_setup's.
chaos_control() {
  local at kind cmd now_ms answer
  while IFS=$'\t' read -r at kind cmd; do
    [[ $kind == setup ]] && continue
    now_ms=$((($(date +%s%N) - $3) / 1000000))
    ((at > now_ms)) && sleep "$(awk -v d=$((at - now_ms)) 'BEGIN { printf "%.3f", d / 1000 }')"
    if mock "$cmd"; then answer=ok; else answer=refused; fi
    printf '%d\t%s\t%s\t%s\n' "$((($(date +%s%N) - $3) / 1000000))" "$kind" "$cmd" "$answer" >>"$2"
  done <"$1"
}

chaos_run() {
  local label=$1 profile=$2 idem=$3 seed=$4 seconds=$5 rate=${6:-1500}
  local dir="$work/$label" topic="chaos-$profile-$seed-$$"
  mkdir -p "$dir"
  cluster_start --brokers 4
  mock "topic $topic $CHAOS_PARTITIONS" || return 1
  chaos_schedule "$seed" "$profile" "$seconds" "$topic" >"$dir/schedule" || return 1
  : >"$dir/faults"
  chaos_setup "$dir/schedule" "$dir/faults"
  local start
  start=$(date +%s%N)
  local props=(-X enable.idempotence=true)
  case "$idem" in
    on) ;;
    on-strict) props+=(-X kprod.strict.ordering=true) ;;
    off) props=(-X enable.idempotence=false) ;;
    *) fail "$label: idempotence is on, on-strict or off, not '$idem'"; cluster_stop; return 1 ;;
  esac
  "$KPROD" run "$CHAOS_DIR/chaos_producer.lua" -b "$BROKERS" -X acks=all "${props[@]}" \
    -X linger.ms=5 -X batch.size=16384 -X retry.backoff.ms=20 -X retry.backoff.max.ms=200 \
    -X request.timeout.ms=$CHAOS_REQUEST_TIMEOUT_MS -X delivery.timeout.ms=60000 \
    -- "$topic" "$rate" "$seconds" "$dir/ledger" >"$dir/producer.log" 2>&1 &
  local pid=$!
  chaos_control "$dir/schedule" "$dir/faults" "$start"
  wait "$pid"
  local rc=$?
  if ((rc != 0)) || [[ ! -s "$dir/ledger" ]]; then
    fail "$label: the chaos producer exited $rc without a ledger" "$(tail -n 5 "$dir/producer.log")"
    cluster_stop
    return 1
  fi
  consume "$topic" "$dir/readback"
  cluster_stop
  luajit "$CHAOS_DIR/verify.lua" "$label" "$profile" "$idem" \
    "$dir/ledger" "$dir/readback" "$dir/faults" >"$dir/table"
  rc=$?
  grep -v '^chaos: ' "$dir/table"
  CHAOS_SUMMARY=$(grep '^chaos: ' "$dir/table")
  return "$rc"
}
