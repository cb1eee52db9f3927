#!/usr/bin/env bash
# Measures takevault against its anchors in one run — the DSP against libebur128 and libsoxr,
# sealing against HMAC + AES-GCM alone, ingest against decode + libFLAC + libopus alone, and memory
# of a long ingest against a short one — and fails (exit 1) when a figure breaches the threshold
# written beside it (Benchmarks/Ratios/Workloads.swift, Benchmarks/Pipeline/main.swift). The full run
# adds S3 transfers against SeaweedFS and aws s3 cp (reported, not gated).
#
# Usage: scripts/bench.sh          full set (3-hour RSS take), writes docs/BENCHMARKS.md
#        scripts/bench.sh --gate   the CI set (fewer rounds, 1-hour RSS take), writes nothing
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
swift build -c release --product takevault-ratios >&2
swift build -c release --product takevault-pipeline-bench >&2
swift build -c release --product takevault >&2
bin="$(swift build -c release --show-bin-path)"
if [ "${1:-}" = "--gate" ]; then
  status=0
  "$bin/takevault-ratios" --rounds 3 || status=1
  "$bin/takevault-pipeline-bench" --gate || status=1
  exit $status
fi
# The full run also measures S3Store against a private SeaweedFS (and aws s3 cp on the same server).
seaweed_dir="$PWD/.build/seaweedfs-bench"
mkdir -p "$seaweed_dir"
trap 'scripts/seaweedfs.sh stop "$seaweed_dir"' EXIT
eval "$(scripts/seaweedfs.sh start "$seaweed_dir")"
"$bin/takevault-ratios" --rounds 7 --markdown docs/BENCHMARKS.md
"$bin/takevault-pipeline-bench" --markdown docs/BENCHMARKS.md
