#!/usr/bin/env bash
# roundtrip_test.sh — batches from kprod's wire code, all codecs and versions, read back byte for byte by kcat.
#
# Usage: KPROD_BUILD=BUILD-DIR [KPROD_MOCK="BUILD-DIR/kprod mock" | KPROD_TEST_BROKERS=HOST:PORT] \
#          spec/integration/roundtrip_test.sh
# (KPROD_MOCK defaults to "$KPROD_BUILD/kprod mock"; the modern peer is
# KPROD_MOCK=BUILD-DIR/kprod-mock-modern.) Needs kcat and $KPROD_BUILD/kp_roundtrip.
# Prints one `ok -`/`not ok -` line per check and `N passed, N failed` last;
# exits 1 when a check failed, 2 when something it needs is missing.
#
# How the bytes are compared: kp_roundtrip writes EXPECTED, exactly what
# `kcat -f "$FORMAT"` prints for its records, partition by partition in
# offset order. kcat reads each partition from the beginning (one kcat per
# partition: values hold newlines, so nothing may be sorted by lines) with
# CRC checks on, and the concatenation is compared with cmp. Key and value
# are printed raw after their sizes (%K, %S), so equal output means equal
# partition, offset, timestamp, key, value and headers (see kp_roundtrip.c).
# shellcheck source=cluster.sh source-path=SCRIPTDIR
source "$(dirname "$0")/cluster.sh"

RECORDS=${KPROD_ROUNDTRIP_RECORDS:-300}
FORMAT='%p %o %T %K %k %S %s %h\n'

if [[ ! -x "$KPROD_BUILD/kp_roundtrip" ]]; then
  echo "$0: $KPROD_BUILD/kp_roundtrip not found (cmake --build $KPROD_BUILD --target kp_roundtrip)" >&2
  exit 2
fi
if ! command -v kcat >/dev/null 2>&1; then
  echo "$0: kcat not found in PATH (apt-get install kcat)" >&2
  exit 2
fi
# shellcheck disable=SC2119 # no mock arguments: kp_roundtrip's Metadata creates each topic
cluster_start

seed=0

# tool_value KEY: VALUE from the `KEY VALUE` line the last kp_roundtrip printed.
tool_value() { awk -v key="$1" '$1 == key { print $2 }' "$work/rt.out"; }

# read_back TOPIC PARTITIONS: kcat's output for every partition in turn into
# $work/got; fails (with the reason in $work/kcat.err) when a kcat fails or
# complains.
read_back() {
  local topic=$1 partitions=$2 p status rc=0
  local -a pids=()
  for ((p = 0; p < partitions; p++)); do
    timeout 20 kcat -C -b "$BROKERS" -t "$topic" -p "$p" -o beginning -e -q \
      -X check.crcs=true -f "$FORMAT" >"$work/got.$p" 2>"$work/kcat.$p.err" </dev/null &
    pids+=($!)
  done
  : >"$work/got"
  : >"$work/kcat.err"
  for ((p = 0; p < partitions; p++)); do
    wait "${pids[p]}"
    status=$?
    ((status == 0)) || { rc=1; echo "kcat for partition $p exited $status" >>"$work/kcat.err"; }
    [[ -s "$work/kcat.$p.err" ]] && { rc=1; cat "$work/kcat.$p.err" >>"$work/kcat.err"; }
    cat "$work/got.$p" >>"$work/got"
  done
  return $rc
}

# roundtrip LABEL CODEC [KP_ROUNDTRIP-OPTION...]: produces $RECORDS records to
# a fresh topic, reads them back and compares the bytes. Returns 1 when
# kp_roundtrip itself failed (so the caller's version checks are moot).
roundtrip() {
  local label=$1 codec=$2 topic partitions
  shift 2
  topic=$(uniq_topic "rt-$codec")
  seed=$((seed + 1))
  if ! timeout 20 "$ROUNDTRIP" -b "$BROKERS" -t "$topic" -c "$codec" -n "$RECORDS" -s "$seed" \
         -o "$work/expected" "$@" >"$work/rt.out" 2>"$work/rt.err"; then
    fail "$label: kp_roundtrip produces $RECORDS records" "$(tail -n 3 "$work/rt.err")"
    return 1
  fi
  pass "$label: kp_roundtrip produced $RECORDS records in $(tool_value batches) batches over\
 Produce v$(tool_value produce_version), Metadata v$(tool_value metadata_version)"
  partitions=$(tool_value partitions)
  if ! read_back "$topic" "$partitions"; then
    local -a why
    mapfile -t why < <(head -n 6 "$work/kcat.err" | cut -c 1-200)
    fail "$label: kcat reads all $partitions partitions back with CRC checks" "${why[@]}"
  elif cmp "$work/expected" "$work/got" >"$work/cmp.out" 2>&1; then
    pass "$label: kcat prints the expected $(wc -c <"$work/expected") bytes for $partitions partitions"
  else
    fail "$label: kcat prints the expected bytes" "$(head -c 300 "$work/cmp.out")" \
      "expected $(wc -c <"$work/expected") bytes, got $(wc -c <"$work/got")"
  fi
}

# refused LABEL OPTION VERSION API: forcing a version the peer lacks must
# fail cleanly, naming the API, before anything is produced.
refused() {
  local label=$1 option=$2 version=$3 api=$4
  timeout 20 "$ROUNDTRIP" -b "$BROKERS" -t "$(uniq_topic rt-refused)" -c none -n 1 \
    -o "$work/expected" "$option" "$version" >"$work/rt.out" 2>"$work/rt.err"
  local rc=$?
  if [[ $rc -eq 1 ]] && grep -q "speaks no $api version" "$work/rt.err"; then
    pass "$label: refused: $(head -n 1 "$work/rt.err")"
  else
    fail "$label: kp_roundtrip exits 1 naming $api" "exit status $rc: $(head -c 300 "$work/rt.err")"
  fi
}

for codec in none gzip snappy lz4 zstd; do
  if roundtrip "$codec" "$codec" && [[ $codec == none ]]; then
    produce_max=$(tool_value produce_max)
    metadata_max=$(tool_value metadata_max)
    used="Produce v$(tool_value produce_version), Metadata v$(tool_value metadata_version)"
    check_eq "ApiVersions v$(tool_value api_versions_version) answered (peer's highest Produce\
 v$produce_max, Metadata v$metadata_max); highest common versions picked: $used" "$used" \
      "Produce v$((produce_max < 10 ? produce_max : 10)), Metadata v$((metadata_max < 12 ? metadata_max : 12))"
  fi
done

if [[ -z "${produce_max:-}" ]]; then
  fail "the peer's versions are known" "the first kp_roundtrip run failed; skipping the version checks"
else
  # The oldest layouts kprod speaks, which every peer has.
  roundtrip "Produce v3 forced, gzip" gzip --produce-version 3 &&
    check_eq "Produce v3 forced: v3 used" "$(tool_value produce_version)" 3
  roundtrip "Metadata v1 forced, lz4" lz4 --metadata-version 1 &&
    check_eq "Metadata v1 forced: v1 used" "$(tool_value metadata_version)" 1
  # Flexible (compact) layouts where the peer has them, a clean refusal where not.
  if ((produce_max >= 9)); then
    roundtrip "Produce v9 forced (flexible), zstd" zstd --produce-version 9 &&
      check_eq "Produce v9 forced: v9 used" "$(tool_value produce_version)" 9
  else
    refused "Produce v9 forced on a peer whose highest is v$produce_max" --produce-version 9 Produce
  fi
  if ((metadata_max >= 12)); then
    roundtrip "Metadata v12 forced (flexible), snappy" snappy --metadata-version 12 &&
      check_eq "Metadata v12 forced: v12 used" "$(tool_value metadata_version)" 12
  else
    refused "Metadata v12 forced on a peer whose highest is v$metadata_max" --metadata-version 12 Metadata
  fi
fi

# cluster.sh's finish would add ", N skipped"; this test skips nothing and
# keeps the two-count summary line of the other mock tests.
cluster_stop
check_reports
echo "$passed passed, $failed failed"
((failed == 0))
