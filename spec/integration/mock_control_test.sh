#!/usr/bin/env bash
# Drives a `kprod mock` cluster through its stdin control protocol and checks the answers and kcat's view.
#
# Usage: spec/integration/mock_control_test.sh MOCK-COMMAND...
#   e.g. spec/integration/mock_control_test.sh build/kprod mock
#        spec/integration/mock_control_test.sh build/kprod-mock-modern
#   (a single argument with spaces, "build/kprod mock", is split into words)
# Needs kcat. Prints one line per check and `N passed, N failed` last;
# exits 1 when a check failed, 2 on bad usage.
set -uo pipefail

if [[ $# -eq 0 && -n "${KPROD_TEST_BROKERS:-}" && -z "${KPROD_MOCK:-}" ]]; then
  echo "skip - the mock's control commands cannot be tested against a real cluster (KPROD_TEST_BROKERS)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
if [[ $# -eq 0 && -n "${KPROD_MOCK:-}" ]]; then
  set -- "$KPROD_MOCK"
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 MOCK-COMMAND... (e.g. build/kprod mock), or KPROD_MOCK set" >&2
  exit 2
fi
if [[ $# -eq 1 ]]; then
  read -r -a mock_cmd <<<"$1"
else
  mock_cmd=("$@")
fi
if ! command -v kcat >/dev/null 2>&1; then
  echo "$0: kcat not found in PATH (apt-get install kcat)" >&2
  exit 2
fi

passed=0
failed=0
work="$(mktemp -d)"
mock_pid=""

cleanup() {
  if [[ -n "$mock_pid" ]] && kill -0 "$mock_pid" 2>/dev/null; then
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
  failed=$((failed + 1))
  echo "not ok - $1"
  shift
  local detail
  for detail in "$@"; do printf '    %s\n' "$detail"; done
}

# expect_answer COMMAND PATTERN: sends COMMAND, checks the one answer line
# matches the extended regex PATTERN.
expect_answer() {
  local command="$1" pattern="$2" answer=""
  printf '%s\n' "$command" >&"${MOCK[1]}"
  if ! IFS= read -r -t 5 answer <&"${MOCK[0]}"; then
    fail "'$command' is answered" "no answer within 5 s"
  elif [[ "$answer" =~ $pattern ]]; then
    pass "'$command' -> $answer"
  else
    fail "'$command' answer matches /$pattern/" "got: $answer"
  fi
}

expect_ok() { expect_answer "$1" '^ok$'; }
expect_error() { expect_answer "$1" "^error: ${2:-.+}"; }

# expect_run DESCRIPTION zero|nonzero PATTERN COMMAND...: runs COMMAND (10 s
# at most, stdin as given to expect_run); passes when its exit status is as
# wanted and its whole output matches the extended regex PATTERN.
expect_run() {
  local description="$1" want="$2" pattern="$3" rc output
  shift 3
  timeout 10 "$@" >"$work/run.out" 2>&1
  rc=$?
  output="$(cat "$work/run.out")"
  if [[ ( $want == zero && $rc -eq 0 ) || ( $want == nonzero && $rc -ne 0 && $rc -ne 124 ) ]] &&
     [[ "$output" =~ $pattern ]]; then
    pass "$description"
  else
    fail "$description" "exit status $rc, wanted $want; output:" "$(head -c 600 "$work/run.out")"
  fi
}

# --- startup errors: bad arguments exit 2 with a message ---------------------
for bad_args in "--brokers 0" "--brokers many" "--topic t1" "--topic t1:0" "--topic t1:1:9" "--nope"; do
  # shellcheck disable=SC2086 # the arguments are meant to split
  "${mock_cmd[@]}" $bad_args </dev/null >"$work/bad.out" 2>"$work/bad.err"
  rc=$?
  if [[ $rc -eq 2 && -s "$work/bad.err" && ! -s "$work/bad.out" ]]; then
    pass "'$bad_args' exits 2: $(head -n 1 "$work/bad.err")"
  else
    fail "'$bad_args' exits 2 with a message on stderr" "rc=$rc stdout=$(head -c 200 "$work/bad.out")" \
      "stderr=$(head -c 200 "$work/bad.err")"
  fi
done

# --- start -------------------------------------------------------------------
coproc MOCK { exec "${mock_cmd[@]}" --topic t1:4:3 2>"$work/mock.err"; }
# shellcheck disable=SC2153 # MOCK_PID is set by coproc
mock_pid=$MOCK_PID
bootstrap=""
if IFS= read -r -t 5 bootstrap <&"${MOCK[0]}" &&
   [[ "$bootstrap" =~ ^[^,:]+:[0-9]+(,[^,:]+:[0-9]+){2}$ ]]; then
  pass "first line is a bootstrap list of 3 brokers: $bootstrap"
else
  fail "first line is a bootstrap list of 3 brokers" "got: '$bootstrap'" "stderr: $(head -c 500 "$work/mock.err")"
  echo "$passed passed, $failed failed"
  exit 1
fi

kcat_common=(-b "$bootstrap" -X socket.timeout.ms=3000 -X topic.metadata.refresh.interval.ms=1000)

# --- control commands that must succeed ----------------------------------------
expect_ok "help"
expect_ok "down 2"
expect_ok "up 2"
expect_ok "rtt 3 5"
expect_ok "rtt all 0"
expect_ok "errors Metadata NOT_LEADER_OR_FOLLOWER 2"
expect_ok "errors 3 6 1"
expect_ok "clear Metadata"
expect_ok "broker-errors 1 InitProducerId COORDINATOR_NOT_AVAILABLE 1"
expect_ok "topic t2 2"
expect_ok "topic t3 1 2"
expect_ok "leader t1 0 2"
expect_ok "apiversion Produce 0 7"

# --- bad commands ---------------------------------------------------------------
expect_error "frobnicate" "unknown command 'frobnicate'"
expect_error "down" "wrong number of arguments"
expect_error "down 7" "unknown broker id '7'"
expect_error "rtt 1 soon" "bad round-trip time"
expect_error "errors Fetchh 6 1" "unknown API key 'Fetchh'"
expect_error "errors Produce NOT_AN_ERROR 1" "unknown error 'NOT_AN_ERROR'"
expect_error "errors Produce 6 0" "bad error count"
expect_error "broker-errors 9 Produce 6 1" "unknown broker id '9'"
expect_error "leader t1 99 1" "topic 't1' has no partition 99"
expect_error "topic t2 2" "topic 't2' already exists"
expect_error "topic t4 1 4" "replication factor 4"
expect_error "topic bad/name 1" "bad topic name"

# Comments and blank lines get no answer: the next answer is the marker's.
printf '# a comment\n\n   \n' >&"${MOCK[1]}"
expect_error "rtt 1 marker" "bad round-trip time .*'marker'"

# --- what kcat sees --------------------------------------------------------------
expect_run "kcat sees broker 2 as leader of t1 [0] after 'leader t1 0 2'" zero \
  'partition 0, leader 2,' kcat -L "${kcat_common[@]}" -t t1 </dev/null
expect_run "kcat produces to t1 [0]" zero '' \
  kcat -P "${kcat_common[@]}" -t t1 -p 0 <<<"hello-mock"
expect_run "kcat consumes 'hello-mock' back from t1 [0] with check.crcs=true" zero '^hello-mock$' \
  kcat -C "${kcat_common[@]}" -t t1 -p 0 -o beginning -e -q -X check.crcs=true </dev/null

expect_ok "errors Produce TOPIC_AUTHORIZATION_FAILED 1"
expect_run "kcat's produce fails with the injected TOPIC_AUTHORIZATION_FAILED" nonzero \
  'Topic authorization failed' kcat -P "${kcat_common[@]}" -t t1 -p 0 <<<"denied"
expect_run "the injected error is used up: the next produce succeeds" zero '' \
  kcat -P "${kcat_common[@]}" -t t1 -p 0 <<<"allowed"

expect_ok "down all"
expect_run "kcat gets no metadata while all brokers are down" nonzero '' \
  kcat -L "${kcat_common[@]}" -m 1 </dev/null
expect_ok "up all"
expect_run "kcat gets metadata again after 'up all'" zero 'broker 3 at' \
  kcat -L "${kcat_common[@]}" -m 5 </dev/null

# --- EOF stops it within 5 s, exit 0 -------------------------------------------
mock_stdin=${MOCK[1]}
exec {mock_stdin}>&-
for _ in $(seq 50); do
  kill -0 "$mock_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$mock_pid" 2>/dev/null; then
  fail "the mock exits within 5 s of EOF on stdin"
else
  wait "$mock_pid"
  rc=$?
  mock_pid=""
  if [[ $rc -eq 0 ]]; then
    pass "the mock exits 0 within 5 s of EOF on stdin"
  else
    fail "the mock exits 0 on EOF" "rc=$rc stderr: $(head -c 600 "$work/mock.err")"
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
