#!/usr/bin/env bash
# Builds the libFuzzer harness (TAKEVAULT_FUZZ=1: takevault's own code instrumented for coverage
# and AddressSanitizer) and runs every fuzz target for SECONDS each (default 30; CI runs 20, a
# release run 1800 — docs/SECURITY.md), one per core at a time. Seeds come from Tests/Fuzz/Corpus
# (never written to); what a run learns accumulates in .build/fuzz/corpus, crashes land in
# .build/fuzz/crashes.
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

if ! TAKEVAULT_FUZZ=1 swift build --product takevault-fuzz >"$work/build.log" 2>&1; then
  grep -E "error" "$work/build.log" >&2 || tail -n 20 "$work/build.log" >&2
  echo "fuzz: the harness did not build (log: $work/build.log)" >&2
  exit 1
fi
binary=$(TAKEVAULT_FUZZ=1 swift build --product takevault-fuzz --show-bin-path)/takevault-fuzz
[ -x "$binary" ] || { echo "fuzz: the harness did not build" >&2; exit 1; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("$binary" --list)

dictionary() {
  case "$1" in
    header-check|audio-sniffer|audio-decode|ogg-opus) echo Tests/Fuzz/Dictionaries/containers.dict ;;
    relay-headers|delivery-headers) echo Tests/Fuzz/Dictionaries/relay.dict ;;
    upload-metadata|manifest-open|policy-open) echo Tests/Fuzz/Dictionaries/json.dict ;;
    s3-xml) echo Tests/Fuzz/Dictionaries/xml.dict ;;
  esac
}

# One target: runs libFuzzer, then writes its table row to $work/rows/TARGET (result "FOUND" on failure).
run_target() {
  local target=$1 corpus="$work/corpus/$1" log="$work/logs/$1.log" status=0
  mkdir -p "$corpus"
  local options=(-max_total_time="$seconds" -use_value_profile=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536
                 -print_final_stats=1 -artifact_prefix="$work/crashes/$target-")
  local dict
  dict=$(dictionary "$target")
  [ -n "$dict" ] && options+=(-dict="$dict")
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$binary" "$target" "${options[@]}" "$corpus" "Tests/Fuzz/Corpus/$target" >"$log" 2>&1 || status=$?
  local runs rate last cov ft units result=ok
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  units=$(find "$corpus" -type f | wc -l)
  [ "$status" -eq 0 ] || result="FOUND (see $log)"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "$runs" "$rate" "$cov" "$ft" "$units" "$result" >"$work/rows/$target"
}

# As many targets at once as there are cores (FUZZ_JOBS overrides): each is one process on one core.
jobs="${FUZZ_JOBS:-$(nproc)}"
rm -rf "$work/rows" && mkdir -p "$work/rows"
running=0
for target in "${targets[@]}"; do
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
printf '| target | seconds | executions | exec/s | coverage (edges) | features | corpus | result |\n|---|---|---|---|---|---|---|---|\n'
for target in "${targets[@]}"; do
  cat "$work/rows/$target"
  grep -q "FOUND" "$work/rows/$target" && failed=1
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; the input is in $work/crashes/ — reproduce with: $binary TARGET FILE" >&2
  exit 1
fi
