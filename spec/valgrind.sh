# shellcheck shell=bash
# valgrind.sh — sourced by spec/integration/cluster.sh and spec/run_busted.sh
# when KPROD_VALGRIND=1 (scripts/test --valgrind): kprod's processes run under
# valgrind memcheck, each writing its report to DIR/valgrind.PID, and a report
# with an error or a definite leak is a failure. Suppressions (third-party
# noise only, each with its reason): spec/valgrind.supp.

VALGRIND_SUPP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/valgrind.supp"
# --error-exitcode: a process with errors also fails the test's exit status
# checks (kprod itself exits 0, 1, 2, 130 or 143). --keep-debuginfo: libraries
# LuaJIT's FFI unloads at exit still name their frames in leak reports.
VALGRIND_OPTS=(--tool=memcheck --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no
  --num-callers=30 --keep-debuginfo=yes --child-silent-after-fork=yes
  --suppressions="$VALGRIND_SUPP")

# valgrind_wrap PROGRAM DIR: writes DIR/NAME, a script that runs PROGRAM with
# its arguments under memcheck (same pid: signals reach it), and prints its path.
valgrind_wrap() {
  local wrapper
  wrapper="$2/$(basename "$1")"
  {
    echo '#!/bin/sh'
    printf 'exec valgrind'
    printf ' %q' "${VALGRIND_OPTS[@]}" "--log-file=$2/valgrind.%p" "$1"
    echo ' "$@"'
  } >"$wrapper"
  chmod +x "$wrapper"
  echo "$wrapper"
}

# valgrind_failures DIR: prints "LOG<TAB>WHY" for each report in DIR with
# errors, or without a summary (its process was killed before memcheck could
# check it).
valgrind_failures() {
  local log errors
  for log in "$1"/valgrind.*; do
    [[ -e "$log" ]] || continue
    errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
    if [[ -z "$errors" ]]; then
      printf '%s\tno ERROR SUMMARY: killed before memcheck finished\n' "$log"
    elif ((errors > 0)); then
      printf '%s\t%s errors\n' "$log" "$errors"
    fi
  done
}

# valgrind_excerpt LOG: the command and the first errors of a report.
valgrind_excerpt() {
  grep -m 1 'Command:' "$1"
  sed -n '/^==[0-9]*== Parent PID/,$p' "$1" | sed '1d' | grep -v '^==[0-9]*== *$' |
    grep -v -e 'HEAP SUMMARY' -e 'in use at exit' -e 'total heap usage' -e 'rerun with' \
      -e 'Reachable blocks' | head -n 60
}
