#!/usr/bin/env bash
# bad_input_test.sh — bad input to `kprod produce` and `kprod run` (issue 8):
# each case gets one message naming what is wrong and where, a documented
# exit status, and nothing already accepted is lost. spec/chaos/README.md
# lists the cases with their outcomes.
source "$(dirname "$0")/cluster.sh"
cluster_start

# expect LABEL RC PATTERN CMD...: CMD (stdin from $work/in, stderr to
# $work/err) exits RC and its stderr holds PATTERN (a fixed string).
expect() {
  local label=$1 want=$2 pattern=$3; shift 3
  "$@" <"$work/in" >"$work/out" 2>"$work/err"
  check_eq "$label: exit status $want" "$?" "$want"
  if grep -qF -- "$pattern" "$work/err"; then pass "$label: says '$pattern'"; else
    fail "$label: says '$pattern'" "stderr: $(head -c 600 "$work/err")"
  fi
}
# script NAME <<EOF: writes $work/NAME.lua.
script() { cat >"$work/$1.lua"; }
# count TOPIC: records kcat reads back.
count() { consume "$1" "$work/back"; wc -l <"$work/back"; }
echo record >"$work/in"

# --- Properties: unknown, malformed, out of range (usage errors: exit 2, nothing sent).
expect "produce: unknown property" 2 "-X foo.bar=1: unknown property 'foo.bar'" \
  "$KPROD" produce -b "$BROKERS" -t t -X foo.bar=1
expect "produce: misspelt property" 2 "unknown property 'linger.msx'; did you mean 'linger.ms'?" \
  "$KPROD" produce -b "$BROKERS" -t t -X linger.msx=5
expect "produce: property without a value" 2 "-X linger.ms: expected key=value, got 'linger.ms'" \
  "$KPROD" produce -b "$BROKERS" -t t -X linger.ms
expect "produce: property of the wrong type" 2 "property 'linger.ms' expects an integer, got 'abc'" \
  "$KPROD" produce -b "$BROKERS" -t t -X linger.ms=abc
expect "produce: property out of range" 2 "property 'batch.size' must be between 0 and 2147483647, got -1" \
  "$KPROD" produce -b "$BROKERS" -t t -X batch.size=-1
expect "produce: property not among its values" 2 "property 'acks' must be one of all, -1, 0, 1; got '7'" \
  "$KPROD" produce -b "$BROKERS" -t t -X acks=7
expect "run: unknown property" 2 "kprod run: -X foo=1: unknown property 'foo'" \
  "$KPROD" run "$work/none.lua" -b "$BROKERS" -X foo=1
script props <<'EOF'
local kprod = require "kprod"
local p = assert(kprod.producer { ["linger.ms"] = -5 })
EOF
expect "script: property out of range (script line named)" 1 \
  "props.lua:2: producer: property 'linger.ms' must be at least 0, got -5" "$KPROD" run "$work/props.lua" -b "$BROKERS"

# --- Invalid flags: exit 2, one line naming the flag.
expect "produce: unknown flag" 2 "kprod produce: unknown option '--bogus' (see --help)" "$KPROD" produce --bogus
expect "produce: flag without its value" 2 "kprod produce: option -t needs a value" "$KPROD" produce -t
expect "produce: no topic" 2 "kprod produce: -t TOPIC is required" "$KPROD" produce -b "$BROKERS"
expect "produce: bad partition" 2 "kprod produce: -p expects a partition number, got 'x'" \
  "$KPROD" produce -b "$BROKERS" -t t -p x
expect "run: unknown flag" 2 "kprod run: unknown option '--bogus' (see --help)" "$KPROD" run x.lua --bogus
expect "run: no script" 2 "kprod run: no script given" "$KPROD" run
expect "unknown subcommand" 2 "kprod: unknown subcommand 'frob'" "$KPROD" frob
check_eq "produce: a usage error is one line" "$("$KPROD" produce --bogus 2>&1 | wc -l)" 1

# --- Missing input: produce checks every file before sending anything.
t=$(uniq_topic missing)
expect "produce: missing input file" 2 "kprod produce: cannot read '$work/nope.txt': No such file or directory" \
  "$KPROD" produce -b "$BROKERS" -t "$t" "$work/in" "$work/nope.txt"
check_eq "produce: missing input file: nothing sent from the files before it" "$(count "$t")" 0
expect "run: missing script" 2 "kprod run: cannot open $work/nope.lua" "$KPROD" run "$work/nope.lua" -b "$BROKERS"
script lines <<EOF
local kprod = require "kprod"
for line in kprod.values.lines("$work/nope.txt") do end
EOF
expect "script: missing input file (script line named)" 1 \
  "lines.lua:2: values.lines: $work/nope.txt: No such file or directory" "$KPROD" run "$work/lines.lua" -b "$BROKERS"

# --- Scripts that do not load or that raise.
printf 'local x = = 1\n' >"$work/syntax.lua"
expect "script: syntax error (exit 2, file:line)" 2 "kprod run: $work/syntax.lua:1: unexpected symbol near '='" \
  "$KPROD" run "$work/syntax.lua" -b "$BROKERS"
t=$(uniq_topic raised)
script raise <<EOF
local kprod = require "kprod"
local p = assert(kprod.producer {})
for i = 1, 100 do p:send { topic = "$t", key = "k" .. i, value = "v" .. i } end
error("gave up after 100 records")
EOF
expect "script raises" 1 "raise.lua:4: gave up after 100 records" "$KPROD" run "$work/raise.lua" -b "$BROKERS"
check "script raises: with a traceback" grep -q "stack traceback" "$work/err"
check_eq "script raises: the 100 records it sent are delivered" "$(count "$t")" 100

# --- Hooks that raise or answer nonsense: that record fails naming the hook,
# the message is printed once, every other record is delivered.
t=$(uniq_topic hooks)
topic_create "$t" 4
script hooks <<EOF
local kprod = require "kprod"
local errs, acked = {}, 0
local p = assert(kprod.producer {
  partitioner = function(key, n)
    if key == "p-raise" then error("partitioner boom") end
    if key == "p-nonsense" then return "seven" end
    return 0
  end,
  transform = function(r)
    if r.key == "t-raise" then error("transform boom") end
    if r.key == "t-nonsense" then return 42 end
    return r
  end,
})
for _, k in ipairs { "good1", "p-raise", "p-nonsense", "t-raise", "t-nonsense", "good2", "cb-raise" } do
  p:send { topic = "$t", key = k, value = "v", on_delivery = function(err)
    if k == "cb-raise" then error("callback boom") end
    if err then errs[#errs + 1] = k .. " -> " .. err else acked = acked + 1 end
  end }
end
assert(p:flush(10000))
table.sort(errs)
for _, e in ipairs(errs) do print(e) end
print("acked " .. acked .. ", hook errors " .. p:metrics().hook_errors)
EOF
expect "hooks: the script still exits 0" 0 "kprod: partitioner failed" "$KPROD" run "$work/hooks.lua" -b "$BROKERS"
check "hooks: a raising partitioner is named with file:line" grep -q "^p-raise -> _PARTITIONER: .*hooks.lua:5: partitioner boom" "$work/out"
check "hooks: a partitioner's nonsense answer is quoted" grep -q "^p-nonsense -> _PARTITIONER: partitioner returned string seven for topic '$t'" "$work/out"
check "hooks: a raising transform is named with file:line" grep -q "^t-raise -> _TRANSFORM: .*hooks.lua:10: transform boom" "$work/out"
check "hooks: a transform's nonsense answer is named" grep -q "^t-nonsense -> _TRANSFORM: transform 1 returned a number" "$work/out"
check "hooks: a raising callback is reported with file:line" grep -q "on_delivery callback failed.*hooks.lua:17: callback boom" "$work/err"
check "hooks: good1 and good2 acked (cb-raise too, its callback raised), 5 hook errors" grep -q "^acked 2, hook errors 5$" "$work/out"
check_eq "hooks: exactly the 3 good records are in the topic" "$(count "$t")" 3
check_eq "hooks: each message printed once" "$(grep -c 'partitioner boom$' "$work/err")" 1

# A retry policy answering nonsense: the batch fails with its original error.
if have_mock; then
  t=$(uniq_topic retry-nonsense)
  topic_create "$t" 1
  script retry <<EOF
local kprod = require "kprod"
local p = assert(kprod.producer { retry = function(ctx) return "maybe" end, ["linger.ms"] = 0 })
assert(p:partition_count("$t"))
local got
kprod.sleep(1500) -- the mock applies the injected error meanwhile
p:send { topic = "$t", value = "v", on_delivery = function(err) got = err end }
assert(p:flush(10000))
print(got)
print("hook errors " .. p:metrics().hook_errors)
EOF
  "$KPROD" run "$work/retry.lua" -b "$BROKERS" </dev/null >"$work/out" 2>"$work/err" &
  pid=$!
  mock "errors Produce NOT_LEADER_OR_FOLLOWER 1"
  wait $pid
  check_eq "retry policy nonsense: the script still exits 0" "$?" 0
  check "retry policy nonsense: the record fails with its original error" grep -q "^NOT_LEADER_OR_FOLLOWER: " "$work/out"
  check "retry policy nonsense: the answer is quoted" grep -q "retry policy.*maybe" "$work/err"
  check "retry policy nonsense: counted" grep -qx "hook errors 1" "$work/out"
fi

# --- Records too large, lines of any length: the record is refused naming
# FILE:LINE and max.request.size; the lines around it are delivered.
t=$(uniq_topic too-large)
{ echo first; head -c 2000000 /dev/zero | tr '\0' x; echo; echo third; } >"$work/big.txt"
expect "produce: record over max.request.size" 1 "$work/big.txt:2: not sent: record of " \
  "$KPROD" produce -q -b "$BROKERS" -t "$t" "$work/big.txt"
check "produce: record over max.request.size: the limit is named" grep -q "bytes is larger than max.request.size=1048576" "$work/err"
check_eq "produce: record over max.request.size: the other lines delivered" "$(count "$t")" 2
script big <<EOF
local kprod = require "kprod"
local p = assert(kprod.producer {})
local ok, msg, code = p:send { topic = "$t", value = ("x"):rep(2000000) }
print(ok, msg, code == kprod.errors.MESSAGE_TOO_LARGE)
EOF
"$KPROD" run "$work/big.lua" -b "$BROKERS" >"$work/out" 2>&1
check "script: send of a too-large record returns nil, message, MESSAGE_TOO_LARGE" \
  grep -q "^nil	record of [0-9]* bytes is larger than max.request.size=1048576.*	true$" "$work/out"
long=$(head -c 5000 /dev/zero | tr '\0' x)
if have_mock; then
  printf '%s\ntopic after-long 1\n' "$long" >"$work/in"
  "$KPROD" mock <"$work/in" >"$work/out" 2>&1
  check "mock: a control line too long is refused, naming the limit" grep -q "^error: line longer than 1023 bytes ignored$" "$work/out"
  check "mock: the next control line is served" grep -qx ok "$work/out"
fi
echo record >"$work/in"

# --- Unreachable bootstrap servers: every record fails after max.block.ms
# (the bootstrap timeout), naming bootstrap.servers and the last error.
start=$(date +%s%N)
expect "produce: unreachable bootstrap servers" 1 \
  "no broker reachable at bootstrap.servers=127.0.0.1:1 within max.block.ms=2000 ms (last error: connect to broker 127.0.0.1:1" \
  "$KPROD" produce -q -b 127.0.0.1:1 -t t -X max.block.ms=2000
elapsed=$((($(date +%s%N) - start) / 1000000))
check_timing "produce: unreachable bootstrap servers: gives up after max.block.ms ($elapsed ms)" test "$elapsed" -lt 4000
check "produce: unreachable bootstrap servers: names the line" grep -q "^kprod produce: -:1: not sent: no broker reachable" "$work/err"
script unreachable <<'EOF'
local kprod = require "kprod"
local p = assert(kprod.producer { ["max.block.ms"] = 2000 })
print(p:send { topic = "t", value = "v" })
EOF
"$KPROD" run "$work/unreachable.lua" -b 127.0.0.1:1 >"$work/out" 2>&1
check "script: unreachable bootstrap servers: send returns nil, message, _ALL_BROKERS_DOWN" \
  grep -q "^nil	no broker reachable at bootstrap.servers=127.0.0.1:1 within max.block.ms=2000 ms.*	-112$" "$work/out"

# --- Unknown topic with auto-creation off. Metadata v4+ carries
# AllowAutoTopicCreation; the legacy peer speaks Metadata v2, where the
# broker decides (Kafka's rule too), so it creates the topic.
t=$(uniq_topic no-such)
if [[ "$PEER" == legacy ]]; then
  expect "unknown topic, allow.auto.create.topics=false, Metadata v2: created by the broker" 0 "1 acked, 0 failed" \
    "$KPROD" produce -q -b "$BROKERS" -t "$t" -X allow.auto.create.topics=false -X max.block.ms=3000
else
  expect "unknown topic with allow.auto.create.topics=false" 1 \
    "-:1: not sent: topic '$t' not present in metadata after max.block.ms=3000 ms" \
    "$KPROD" produce -q -b "$BROKERS" -t "$t" -X allow.auto.create.topics=false -X max.block.ms=3000
fi
finish
