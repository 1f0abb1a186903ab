#!/usr/bin/env bash
# run_brief.sh — runs every libFuzzer target in spec/fuzz for a few seconds
# (KPROD_FUZZ_SECONDS, default 10) through scripts/fuzz, needing no cluster;
# ends with scripts/fuzz's "N passed, N failed", or skips without clang.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v clang >/dev/null; then
  echo "run_brief: clang is not installed: fuzz targets skipped"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
exec "$root/scripts/fuzz" --seconds "${KPROD_FUZZ_SECONDS:-10}" "$@"
