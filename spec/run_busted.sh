#!/usr/bin/env bash
# run_busted.sh — runs the busted specs (spec/lua/*_spec.lua) under LuaJIT
# against the peer in $KPROD_MOCK / $KPROD_TEST_BROKERS (else the in-process
# mock) and prints "N passed, N failed, N skipped" last, as scripts/test reads.
#
# usage: spec/run_busted.sh [busted args, e.g. spec/lua/producer_spec.lua]
# Environment: KPROD_BUILD (build dir with kprod and libkprod.so, default build/),
# KPROD_VALGRIND=1: busted's LuaJIT (so libkprod.so in it) and every kprod
# the specs start run under valgrind memcheck (spec/valgrind.sh); a report
# with errors counts as a failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export KPROD_ROOT=$root
export KPROD_BUILD=${KPROD_BUILD:-$root/build}
export KPROD_LIB=$KPROD_BUILD/libkprod.so
# A sanitized libkprod.so needs the sanitizer runtime loaded first.
if grep -q __asan_init "$KPROD_LIB" 2>/dev/null; then
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
fi
luajit=luajit
if [[ ${KPROD_VALGRIND:-0} == 1 ]]; then
  source "$root/spec/valgrind.sh"
  vgdir=$(mktemp -d /tmp/kprod-busted-vg.XXXXXX)
  KPROD_BIN=$(valgrind_wrap "$KPROD_BUILD/kprod" "$vgdir") # read by spec/lua/helper.lua
  export KPROD_BIN
  luajit=$(valgrind_wrap "$(command -v luajit)" "$vgdir")
fi
busted=$(command -v busted) || { echo "run_busted: busted is not installed (apt-get install lua-busted)" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
specs=("$@")
((${#specs[@]})) || specs=("$root"/spec/lua/*_spec.lua)
out=$(mktemp /tmp/kprod-busted.XXXXXX)
cd "$root"
"$luajit" "$busted" -o TAP --helper="$root/spec/lua/helper.lua" "${specs[@]}" 2>&1 | tee "$out"
passed=$(grep -cE '^ok [0-9]+ - ' "$out")
skipped=$(grep -cE '^ok [0-9]+ .*# (SKIP|TODO)' "$out")
failed=$(grep -cE '^not ok ' "$out")
# A spec file that does not load shows up as a TAP error without a count.
if grep -q '^# Failure\|^1\.\.0' "$out" && ((passed + failed == 0)); then failed=1; fi
passed=$((passed - skipped))
rm -f "$out"
if [[ -n "${vgdir:-}" ]]; then
  while IFS=$'\t' read -r log why; do
    failed=$((failed + 1))
    echo "not ok - valgrind report $(basename "$log"): $why"
    valgrind_excerpt "$log" | sed 's/^/    /'
  done < <(valgrind_failures "$vgdir")
  rm -rf "$vgdir"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
