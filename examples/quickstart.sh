#!/usr/bin/env bash
# quickstart.sh — produces 100,000 keyed records to an embedded Kafka test
# cluster with kprod, zstd-compressed, and prints kprod's delivery summary.
# Edit N, the codec or the -X properties to try other settings.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "user-%d\t{\"seq\":%d,\"event\":\"click\"}\n", i % 1000, i }' |
  ./build/kprod produce -t quickstart -K $'\t' -z zstd -X linger.ms=5 -X acks=all
