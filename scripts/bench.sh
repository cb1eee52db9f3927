#!/usr/bin/env bash
# Measures takevault's DSP against the reference C libraries (libebur128, libsoxr) on the same
# buffers in one run, writes docs/BENCHMARKS.md, and fails (exit 1) when a ratio falls below the
# threshold written next to its workload in Benchmarks/Ratios/Workloads.swift.
# Usage: scripts/bench.sh [rounds, default 7]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
swift build -c release --product takevault-ratios >&2
"$(swift build -c release --show-bin-path)/takevault-ratios" --rounds "${1:-7}" --markdown docs/BENCHMARKS.md
