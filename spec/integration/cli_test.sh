#!/usr/bin/env bash
# cli_test.sh — the kprod command line itself: help and version, the
# property table kept in docs/CONFIGURATION.md, property validation messages.
source "$(dirname "$0")/cluster.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

"$KPROD" --version >"$work/out" 2>&1
check "--version prints the version" grep -qE '^kprod [0-9]+\.[0-9]+\.[0-9]+$' "$work/out"
"$KPROD" --help >"$work/out" 2>&1
for sub in run produce config mock; do
  check "--help lists '$sub'" grep -q "^  $sub " "$work/out"
  "$KPROD" "$sub" --help >"$work/sub.out" 2>&1
  check_eq "'kprod $sub --help' exits 0" "$?" 0
  check "'kprod $sub --help' prints a usage line" grep -q "usage: kprod $sub" "$work/sub.out"
done
"$KPROD" frobnicate >"$work/out" 2>&1
check_eq "unknown subcommand: exit status 2" "$?" 2
check "unknown subcommand: named in the message" grep -q "unknown subcommand 'frobnicate'" "$work/out"

"$KPROD" config >"$work/config.md"
check "docs/CONFIGURATION.md is what 'kprod config' prints" cmp -s "$work/config.md" "$root/docs/CONFIGURATION.md"
"$KPROD" config -X acks=0 -X enable.idempotence=true >/dev/null 2>"$work/err"
check_eq "conflicting properties: exit status 2" "$?" 2
check "conflicting properties: both named" grep -q "enable.idempotence=true requires acks=all" "$work/err"
"$KPROD" config -X request.timeout.ms=abc >/dev/null 2>"$work/err"
check "wrong type: names the property and the value" grep -q "request.timeout.ms.*abc" "$work/err"
printf 'linger.ms=10\n# a comment\n\ncompression.type=lz5\n' >"$work/p.properties"
"$KPROD" config --file "$work/p.properties" >/dev/null 2>"$work/err"
check "properties file: names the file, line and value" grep -q "p.properties:4: .*compression.type.*lz5" "$work/err"
"$KPROD" config -X linger.ms=10 -X compression.type=lz4 >"$work/out"
check "validated values are printed" grep -q '| `linger.ms` | `5` | `10` |' "$work/out"
finish
