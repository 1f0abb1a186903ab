#!/usr/bin/env bash
# examples_test.sh — every examples/*.lua runs to exit 0 under `kprod run`,
# on the embedded cluster (no -b) and against the peer (-b), from any directory.
source "$(dirname "$0")/cluster.sh"
cluster_start
root=$(cd "$(dirname "$0")/../.." && pwd)

for ex in "$root"/examples/*.lua; do
  name=$(basename "$ex" .lua)
  if (cd / && "$KPROD" run "$ex") >"$work/$name.out" 2>&1; then
    pass "$name: runs on the embedded cluster"
  else
    fail "$name: runs on the embedded cluster" "$(tail -5 "$work/$name.out")"
  fi
  if "$KPROD" run "$ex" -b "$BROKERS" >"$work/$name.out" 2>&1; then
    pass "$name: runs against the $PEER peer"
  else
    fail "$name: runs against the $PEER peer" "$(tail -5 "$work/$name.out")"
  fi
done
check "quickstart: reports 100000 acked" grep -q "100000 records sent, 100000 acked, 0 failed" \
  <("$KPROD" run "$root/examples/quickstart.lua" -b "$BROKERS" 2>&1)
check "transform: counts drops and fan-outs" grep -q "logs: 75, alerts: 25, dropped: 25, fanned out: 25" \
  <("$KPROD" run "$root/examples/transform.lua" -b "$BROKERS" 2>&1)
finish
