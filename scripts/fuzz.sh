#!/usr/bin/env bash
# Builds the libFuzzer harness (TAKEVAULT_FUZZ=1: takevault's own code instrumented for coverage
# and AddressSanitizer) and runs every fuzz target for SECONDS each (default 30; CI runs 20, a
# release run 1800 — docs/SECURITY.md). Seeds come from Tests/Fuzz/Corpus (never written to);
# what a run learns accumulates in .build/fuzz/corpus, crashes land in .build/fuzz/crashes.
# Prints a table (executions per second, coverage) and exits 1 if any target found a crash,
# a leak, a timeout or ran out of memory.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
work=.build/fuzz
mkdir -p "$work/corpus" "$work/crashes" "$work/logs"

TAKEVAULT_FUZZ=1 swift build --product takevault-fuzz 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -v "^\[" || true
binary=$(TAKEVAULT_FUZZ=1 swift build --product takevault-fuzz --show-bin-path)/takevault-fuzz
[ -x "$binary" ] || { echo "fuzz: the harness did not build" >&2; exit 1; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("$binary" --list)

dictionary() {
  case "$1" in
    header-check|audio-sniffer|audio-decode|ogg-opus) echo Tests/Fuzz/Dictionaries/containers.dict ;;
    relay-headers) echo Tests/Fuzz/Dictionaries/relay.dict ;;
    upload-metadata|manifest-open) echo Tests/Fuzz/Dictionaries/json.dict ;;
    s3-xml) echo Tests/Fuzz/Dictionaries/xml.dict ;;
  esac
}

failed=0
printf '| target | seconds | executions | exec/s | coverage (edges) | features | corpus | result |\n|---|---|---|---|---|---|---|---|\n'
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  options=(-max_total_time="$seconds" -use_value_profile=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536
           -print_final_stats=1 -artifact_prefix="$work/crashes/$target-")
  dict=$(dictionary "$target")
  [ -n "$dict" ] && options+=(-dict="$dict")
  seeds="Tests/Fuzz/Corpus/$target"
  log="$work/logs/$target.log"
  status=0
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$binary" "$target" "${options[@]}" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  units=$(find "$corpus" -type f | wc -l)
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FOUND (see $log)"
    failed=1
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "$runs" "$rate" "$cov" "$ft" "$units" "$result"
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; the input is in $work/crashes/ — reproduce with: $binary TARGET FILE" >&2
  exit 1
fi
