#!/usr/bin/env bash
# produce_test.sh — `kprod produce` end to end: 100k keyed records per codec
# read back by kcat with CRC checks (none lost or duplicated, order kept,
# keys placed as Java's murmur2 places them), acks 0/1/all, bad input.
source "$(dirname "$0")/cluster.sh"
cluster_start

N=100000
keyed_input $N "$work/in.txt"

# The reference placement: kcat's murmur2_random partitioner is the Java
# client's (toPositive(murmur2(key)) % partitions).
ref=$(uniq_topic ref)
topic_create "$ref" 6
kcat -P -b "$BROKERS" -t "$ref" -K $'\t' -X partitioner=murmur2_random -X linger.ms=20 <"$work/in.txt"
consume "$ref" "$work/ref.txt"
awk -F'\t' '{ print $3 "\t" $1 }' "$work/ref.txt" | sort >"$work/ref.place"
check_eq "reference topic holds $N records" "$(wc -l <"$work/ref.place")" $N

# CODEC or CODEC:THREADS (kprod.compression.threads; the default is one per
# CPU but one: compression on the sender thread alone, and on several).
for run in none gzip snappy lz4 zstd lz4:0 zstd:0 zstd:3; do
  codec=${run%%:*} threads=-1
  [[ $run == *:* ]] && threads=${run#*:}
  t=$(uniq_topic "p-$codec-$threads")
  topic_create "$t" 6
  [[ $threads != -1 ]] && codec="$codec with $threads compression threads"
  if "$KPROD" produce -q -b "$BROKERS" -t "$t" -K $'\t' -z "${run%%:*}" -X kprod.compression.threads=$threads \
    "$work/in.txt" 2>"$work/produce.err"; then
    pass "$codec: kprod produce exits 0"
  else
    fail "$codec: kprod produce exits 0" "$(tail -5 "$work/produce.err")"
  fi
  check "$codec: summary reports $N acked" grep -q " $N acked, 0 failed" "$work/produce.err"
  consume "$t" "$work/out.txt"
  verify_keyed "$work/out.txt" $N "$codec"
  awk -F'\t' '{ print $3 "\t" $1 }' "$work/out.txt" | sort >"$work/out.place"
  check "$codec: keys on the partitions murmur2 chooses" cmp -s "$work/out.place" "$work/ref.place"
done

for acks in 0 1 all; do
  t=$(uniq_topic "acks-$acks")
  topic_create "$t" 3
  head -n 20000 "$work/in.txt" >"$work/in20k.txt"
  "$KPROD" produce -q -b "$BROKERS" -t "$t" -K $'\t' -X acks=$acks \
    -X enable.idempotence=$([[ $acks == all ]] && echo true || echo false) "$work/in20k.txt" 2>"$work/produce.err"
  check "acks=$acks: 20000 acked" grep -q " 20000 acked, 0 failed" "$work/produce.err"
  consume "$t" "$work/out.txt"
  verify_keyed "$work/out.txt" 20000 "acks=$acks"
done

# A record over max.request.size fails alone, named by its line; the rest arrive.
t=$(uniq_topic big)
topic_create "$t" 1
{ echo small-1; head -c 3000 /dev/zero | tr '\0' x; echo; echo small-3; } >"$work/big.txt"
"$KPROD" produce -q -b "$BROKERS" -t "$t" -X max.request.size=2000 "$work/big.txt" 2>"$work/big.err"
check_eq "oversized record: exit status 1" "$?" 1
check "oversized record: error names the line and MESSAGE_TOO_LARGE" \
  grep -q "big.txt:2: not sent: record of [0-9]* bytes is larger than max.request.size=2000" "$work/big.err"
consume "$t" "$work/out.txt"
check_eq "oversized record: the other two records arrive" "$(cut -f4 "$work/out.txt" | tr '\n' ' ')" "small-1 small-3 "

# Bad input: clear messages, exit 2, nothing sent.
"$KPROD" produce -b "$BROKERS" -t x -X linger.msx=5 </dev/null 2>"$work/bad.err"
check_eq "unknown property: exit status 2" "$?" 2
check "unknown property: message names it and suggests linger.ms" \
  grep -q "linger.msx.*did you mean 'linger.ms'" "$work/bad.err"
"$KPROD" produce -b "$BROKERS" -t x -X batch.size=-1 </dev/null 2>"$work/bad.err"
check "out-of-range value: message names batch.size" grep -q "batch.size" "$work/bad.err"
"$KPROD" produce -b "$BROKERS" -t x "$work/no-such-file" 2>"$work/bad.err"
check_eq "missing input file: exit status 2" "$?" 2
check "missing input file: message names it" grep -q "cannot read '$work/no-such-file'" "$work/bad.err"
"$KPROD" produce -b "$BROKERS" </dev/null 2>"$work/bad.err"
check "missing -t: message says it is required" grep -q -- "-t TOPIC is required" "$work/bad.err"
finish
