#!/usr/bin/env bash
# signals_test.sh — signals (issue 8) for `kprod produce` and `kprod run`:
# SIGINT closes gracefully with a summary, a second SIGINT forces the close,
# SIGTERM acts like SIGINT, SIGPIPE is ignored (a closed stdout or stderr
# pipe does not kill kprod or lose records). Processes start with SIGINT at
# its default action, as from a terminal (background jobs of a script
# otherwise inherit it ignored). faults_test.sh has produce's forced close
# after SIGINT, SIGINT.
source "$(dirname "$0")/cluster.sh"
cluster_start

# started CMD...: runs CMD in the background as a terminal would (SIGINT
# default), stdin from the fifo $work/in, stdout $work/out, stderr $work/err;
# sets pid and opens fd 7 as the fifo's writer.
started() {
  rm -f "$work/in"; mkfifo "$work/in"
  env --default-signal=INT "$@" <"$work/in" >"$work/out" 2>"$work/err" &
  pid=$!
  exec 7>"$work/in"
}
# stopped: waits for $pid; sets rc and elapsed_ms since $sig_at.
stopped() {
  wait "$pid"; rc=$?
  exec 7>&-
  elapsed_ms=$((($(date +%s%N) - sig_at) / 1000000))
}
signal() { sig_at=$(date +%s%N); kill "-$1" "$pid"; }
count() { consume "$1" "$work/back"; wc -l <"$work/back"; }
summary_field() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$work/err" | tail -n 1; }

# --- kprod produce: SIGINT / SIGTERM deliver what was read, print the summary, exit 0.
for sig in INT TERM; do
  t=$(uniq_topic "produce-$sig")
  topic_create "$t" 3
  started "$KPROD" produce -q -b "$BROKERS" -t "$t"
  for i in $(seq 1000); do echo "r-$i"; done >&7
  delivering "$t"; sleep 1
  signal $sig
  stopped
  check_eq "produce, SIG$sig: exit status 0 (everything read was delivered)" "$rc" 0
  check "produce, SIG$sig: says it was interrupted" grep -q "interrupted: delivering what was read" "$work/err"
  check "produce, SIG$sig: summary with 1000 acked, 0 failed" grep -q " 1000 acked, 0 failed" "$work/err"
  check_eq "produce, SIG$sig: the 1000 records are in the topic" "$(count "$t")" 1000
done

# --- kprod produce: SIGTERM twice forces the close; stuck records fail with _DESTROY.
if have_mock; then
  t=$(uniq_topic produce-forced)
  topic_create "$t" 1
  started "$KPROD" produce -q -b "$BROKERS" -t "$t" -X linger.ms=0
  echo warmup >&7; delivering "$t"
  mock "down all"
  for i in $(seq 20); do echo "stuck-$i"; done >&7
  sleep 0.3
  signal TERM; sleep 0.2; kill -TERM "$pid"
  stopped
  mock "up all"
  check_eq "produce, SIGTERM twice: exit status 1" "$rc" 1
  check "produce, SIGTERM twice: the 20 stuck records fail with _DESTROY" grep -q "20 failed with _DESTROY" "$work/err"
  check_timing "produce, SIGTERM twice: done within 2 s ($elapsed_ms ms)" test "$elapsed_ms" -lt 2000
fi

# --- kprod produce: SIGPIPE ignored. stderr is a pipe whose reader leaves
# after the first byte: later messages meet EPIPE, not death by SIGPIPE.
t=$(uniq_topic produce-pipe)
rm -f "$work/errpipe"; mkfifo "$work/errpipe"
head -c 1 <"$work/errpipe" >/dev/null &
rm -f "$work/in"; mkfifo "$work/in"
"$KPROD" produce -b "$BROKERS" -t "$t" <"$work/in" 2>"$work/errpipe" &
pid=$!
exec 7>"$work/in"
head -c 2000000 /dev/zero | tr '\0' x >&7; echo >&7 # refused: a message on stderr at once
sleep 1
for i in $(seq 100); do echo "r-$i"; done >&7
exec 7>&-
wait "$pid"
check_eq "produce, stderr pipe closed: exits 1 for the refused line, not 141 (SIGPIPE)" "$?" 1
check_eq "produce, stderr pipe closed: the 100 other records are in the topic" "$(count "$t")" 100

# --- kprod run: a script in a paced send loop.
script="$work/loop.lua"
cat >"$script" <<'EOF'
local kprod = require "kprod"
local topic, every = ...
local p = assert(kprod.producer { ["linger.ms"] = 0 })
local i = 0
while true do
  i = i + 1
  p:send { topic = topic, key = "k" .. i, value = "v" .. i }
  if i % 10 == 0 then print(i); io.stdout:flush() end
  p:poll(0)
  kprod.sleep(tonumber(every))
end
EOF

# SIGINT / SIGTERM: the script stops, its producers close gracefully (what
# was sent is delivered), a summary names the interruption and the counts;
# exit status 130 / 143 as a shell reports the signal.
for sig in INT TERM; do
  t=$(uniq_topic "run-$sig")
  topic_create "$t" 3
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  started "$KPROD" run "$script" -b "$BROKERS" -- "$t" 1
  delivering "$t"; sleep 2
  signal $sig
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  stopped
  check_eq "run, SIG$sig: exit status $want after a graceful close" "$rc" "$want"
  check "run, SIG$sig: a summary says it was interrupted" grep -q "^kprod run: interrupted" "$work/err"
  acked=$(summary_field acked)
  check "run, SIG$sig: the summary counts acked and failed records" test -n "$acked"
  check_eq "run, SIG$sig: summary: 0 failed" "$(summary_field failed)" 0
  check_eq "run, SIG$sig: every acked record is in the topic" "$(count "$t")" "${acked:-none}"
done

# A second SIGINT forces the close: records stuck behind down brokers fail
# with _DESTROY at once.
if have_mock; then
  t=$(uniq_topic run-forced)
  topic_create "$t" 1
  started "$KPROD" run "$script" -b "$BROKERS" -- "$t" 50
  delivering "$t"; sleep 1
  mock "down all"
  sleep 1
  signal INT; sleep 0.3; kill -INT "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  stopped
  mock "up all"
  check_eq "run, SIGINT twice: exit status 130" "$rc" 130
  check_timing "run, SIGINT twice: done within 2 s ($elapsed_ms ms)" test "$elapsed_ms" -lt 2000
  check "run, SIGINT twice: the stuck records are reported failed with _DESTROY" grep -q "_DESTROY" "$work/err"
fi

# SIGPIPE: stdout into `head -n 1`; the script goes on printing after head
# left, finishes its 300 records and they are all delivered.
t=$(uniq_topic run-pipe)
cat >"$work/finite.lua" <<'EOF'
local kprod = require "kprod"
local topic = ...
local p = assert(kprod.producer {})
for i = 1, 300 do
  p:send { topic = topic, key = "k" .. i, value = "v" .. i }
  print("sent " .. i); io.stdout:flush()
  kprod.sleep(5)
end
return 0
EOF
"$KPROD" run "$work/finite.lua" -b "$BROKERS" -- "$t" 2>"$work/err" | head -n 1 >/dev/null
check_eq "run, stdout pipe closed: exit status 0, not 141 (SIGPIPE)" "${PIPESTATUS[0]}" 0
check_eq "run, stdout pipe closed: the 300 records are in the topic" "$(count "$t")" 300

# --- A send blocked waiting for metadata (no broker reachable) ends at the
# first signal, within 100 ms, instead of after max.block.ms (60 s): the
# record is reported not sent, and the close goes on as usual.
# blocked_in_send [MARKER]: waits (up to 30 s) until kprod warned that no
# broker answers (and the script wrote MARKER to stderr just before its send),
# then 1 s more. The warning comes from the sender thread, which may warn
# before the send is reached (under valgrind, startup is slow): a signal
# before the send stops the script there instead of interrupting the send.
blocked_in_send() {
  local i
  for ((i = 0; i < 300; i++)); do
    if grep -q "no broker reachable" "$work/err" && { [[ -z ${1:-} ]] || grep -q "$1" "$work/err"; }; then
      sleep 1
      return 0
    fi
    sleep 0.1
  done
  return 1
}
started "$KPROD" produce -b 127.0.0.1:1 -t blocked
echo one >&7
check "produce, blocked for metadata: kprod warns that no broker is reachable" blocked_in_send
signal INT
stopped
check "produce, SIGINT while blocked for metadata: the line is reported not sent" \
  grep -q -- "-:1: not sent: interrupted while waiting for metadata of topic 'blocked'" "$work/err"
check "produce, SIGINT while blocked for metadata: summary counts 1 not sent" grep -q "1 not sent" "$work/err"
check_timing "produce, SIGINT while blocked for metadata: done within 2 s ($elapsed_ms ms)" test "$elapsed_ms" -lt 2000

cat >"$work/blocked.lua" <<'EOF'
local kprod = require "kprod"
local p = assert(kprod.producer { ["bootstrap.servers"] = "127.0.0.1:1" })
io.stderr:write("blocked.lua: sending\n")
print(p:send { topic = "blocked", value = "v" })
EOF
started "$KPROD" run "$work/blocked.lua"
check "run, blocked for metadata: kprod warns that no broker is reachable" blocked_in_send "blocked.lua: sending"
signal INT
stopped
check_eq "run, SIGINT while blocked for metadata: exit status 130" "$rc" 130
check "run, SIGINT while blocked for metadata: send returned the interruption" \
  grep -q "interrupted while waiting for metadata of topic 'blocked'" "$work/out"
check_timing "run, SIGINT while blocked for metadata: done within 2 s ($elapsed_ms ms)" test "$elapsed_ms" -lt 2000
finish
