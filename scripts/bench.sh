#!/usr/bin/env bash
# Measures takevault against its anchors in one run — the DSP against libebur128 and libsoxr,
# sealing against HMAC + AES-GCM alone, ingest and reprocess against the codec work each must do
# alone (decode, libFLAC, libopus encoding the preview and decoding it back), and memory
# of a long ingest against a short one — and fails (exit 1) when a figure breaches the threshold
# written beside it (Benchmarks/Ratios/Workloads.swift, Benchmarks/Pipeline/main.swift). Both serve a
# master through the relay from SeaweedFS against aws s3 cp (gated); the full run adds S3Store's
# transfers against aws s3 cp (reported, not gated). Allocation counts
# (ordo-one/benchmark, Benchmarks/Allocations) are checked in both, and so is the relay under load
# (scripts/relay-load.py: every acknowledged upload archived exactly once, 503s retried, RSS bounded),
# and several nodes on one PostgreSQL catalog (scripts/nodes-bench.py: two nodes against one, catalog
# round trips per take, acknowledgement latency against SQLite).
#
# Usage: scripts/bench.sh          full set (3-hour RSS take), writes docs/BENCHMARKS.md
#        scripts/bench.sh --gate   the CI set (fewer rounds, 1-hour RSS take), writes nothing
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--gate" ]; then scripts/deps.sh; else scripts/deps.sh --bench; fi
swift build -c release --product takevault-ratios >&2
swift build -c release --product takevault-pipeline-bench >&2
swift build -c release --product takevault >&2
bin="$(swift build -c release --show-bin-path)"
# Allocation counts (ordo-one/benchmark): deterministic, checked equal to Thresholds/.
allocations() {
  swift package benchmark thresholds check --target Allocations --no-progress
}
# SeaweedFS on loopback: the gate serves a master from it (against aws s3 cp of the same sealed
# bytes); the full run also measures S3Store's transfers against it.
# The gate starts it after the other ratios: an idle server is still a neighbour.
seaweed_dir="$PWD/.build/seaweedfs-bench"
start_seaweedfs() {
  mkdir -p "$seaweed_dir"
  trap 'scripts/seaweedfs.sh stop "$seaweed_dir"' EXIT
  # An assignment, not eval "$(…)": a failed start must stop the run (set -e sees an assignment's
  # command substitution fail, never one inside eval's argument).
  local exports
  exports=$(scripts/seaweedfs.sh start "$seaweed_dir")
  eval "$exports"
}
if [ "${1:-}" = "--gate" ]; then
  status=0
  allocations || status=1
  "$bin/takevault-ratios" --rounds 5 || status=1
  "$bin/takevault-pipeline-bench" --gate || status=1
  start_seaweedfs
  "$bin/takevault-pipeline-bench" --gate --only s3-delivery || status=1
  python3 scripts/relay-load.py "$bin/takevault" || status=1
  python3 scripts/nodes-bench.py "$bin/takevault" --gate || status=1
  exit $status
fi
allocations
start_seaweedfs
"$bin/takevault-ratios" --rounds 7 --markdown docs/BENCHMARKS.md
"$bin/takevault-pipeline-bench" --markdown docs/BENCHMARKS.md
# Whole command-line chains against takevault ingest, same files (for the README's comparison).
chains_take="$seaweed_dir/five-minutes.wav"
"$bin/takevault-pipeline-bench" --write-take "$chains_take" 300
python3 scripts/compare-chains.py "$bin/takevault" "$chains_take" samples/drums-44k16-stereo.flac --rounds 3 --markdown docs/BENCHMARKS.md
rm -f "$chains_take"
python3 scripts/relay-load.py "$bin/takevault" --markdown docs/BENCHMARKS.md
python3 scripts/nodes-bench.py "$bin/takevault" --markdown docs/BENCHMARKS.md
python3 - >>docs/BENCHMARKS.md <<'PY'
import glob, json, os, re
print("\n## Allocations\n")
print("Written by `scripts/bench.sh` after `swift package benchmark thresholds check --target Allocations` passed:")
print("each count was measured equal to its threshold in `Thresholds/` (any change fails). DSP counts are for")
print("3,516 blocks of 4096 frames (5 minutes at 48 kHz, stereo), measured after the kernel is set up.\n")
print("| benchmark | allocations | per block / per chunk |\n|---|---|---|")
for path in sorted(glob.glob("Thresholds/Allocations.*.p90.json")):
    name = os.path.basename(path)[len("Allocations."):-len(".p90.json")]
    count = json.load(open(path))["mallocCountTotal"]
    chunks = re.search(r"(\d+)-chunks", name)
    if chunks:
        per = f"{count / int(chunks.group(1)):g} per chunk"
    elif name.startswith("preview-read-back"):
        per = "per file, open to end (the same for 30 s and 5 min)"
    else:
        per = f"{count / 3516:g} per block"
    print(f"| {name} | {count} | {per} |")
PY
