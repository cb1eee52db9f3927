#!/usr/bin/env bash
# Measures takevault's DSP against the reference C libraries (libebur128, libsoxr) on the same
# buffers in one run, and fails (exit 1) when a ratio falls below the threshold written next to
# its workload in Benchmarks/Ratios/Workloads.swift.
#
# Usage: scripts/bench.sh          7 rounds, writes docs/BENCHMARKS.md
#        scripts/bench.sh --gate   3 rounds, writes nothing: the CI gate
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
swift build -c release --product takevault-ratios >&2
ratios="$(swift build -c release --show-bin-path)/takevault-ratios"
if [ "${1:-}" = "--gate" ]; then
  "$ratios" --rounds 3
else
  "$ratios" --rounds 7 --markdown docs/BENCHMARKS.md
fi
