#!/usr/bin/env bash
# The main job on the shipped samples: probe and analyse every take in samples/, write its lossless
# master and its loudness-normalised Opus preview into an output folder, and print a table.
# Usage: scripts/demo.sh [output folder, default out/]
#
# Integer PCM takes get a FLAC master. Float and lossy takes cannot be held exactly by FLAC: their
# original file is their master (copied as is), as the architecture note decides.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"

scripts/deps.sh
swift build -c release --product takevault >&2
takevault="$(swift build -c release --show-bin-path)/takevault"
mkdir -p "$out"

json_field() {  # json_field KEY: the value of a top-level KEY in the JSON on stdin
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1], ""))' "$1"
}

row='%-27s %-12s %6s %2s %5s %6s  %-17s %8s %8s %8s %6s %6s %5s\n'
# shellcheck disable=SC2059
printf "$row" take format rate ch secs LUFS master upload master preview p.LUFS p.dBTP ms
status=0
for take in samples/*.wav samples/*.flac samples/*.ogg samples/*.opus samples/*.aiff; do
  [ -e "$take" ] || continue
  name="$(basename "$take")"
  stem="${name%.*}"
  if ! probe="$("$takevault" probe --json "$take")"; then
    echo "$name: rejected: $probe" >&2
    status=3
    continue
  fi
  format="$(json_field format <<<"$probe")/$(json_field subtype <<<"$probe")"
  rate="$(json_field sample_rate <<<"$probe")"
  channels="$(json_field channels <<<"$probe")"
  seconds="$(json_field duration_s <<<"$probe")"
  kind="$(json_field sample_kind <<<"$probe")"
  start=$(date +%s%N)
  loudness="$("$takevault" analyze --json "$take" | json_field integrated_lufs)"
  if [ "$kind" = integer ]; then
    "$takevault" transcode "$take" --to flac -o "$out/$stem.master.flac" >/dev/null
    master_file="$out/$stem.master.flac"
    master="flac"
  else
    master_file="$out/$stem.master.${name##*.}"
    cp "$take" "$master_file"
    master="original ($kind)"
  fi
  preview="$("$takevault" transcode "$take" --to opus -o "$out/$stem.preview.opus" --json)"
  preview_lufs="$(python3 -c 'import json,sys; print(round(json.load(sys.stdin)["preview"]["integrated_lufs"], 1))' <<<"$preview")"
  preview_peak="$(python3 -c 'import json,sys; print(round(json.load(sys.stdin)["preview"]["true_peak_dbtp"], 1))' <<<"$preview")"
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  # shellcheck disable=SC2059
  printf "$row" "$name" "$format" "$rate" "$channels" "$(printf '%.2f' "$seconds")" "$(printf '%.1f' "$loudness")" "$master" \
    "$(stat -c %s "$take")" "$(stat -c %s "$master_file")" "$(stat -c %s "$out/$stem.preview.opus")" "$preview_lufs" "$preview_peak" "$elapsed"
done
echo "Artefacts are in $out/: <take>.master.* and <take>.preview.opus. Sizes in bytes. LUFS: the take's"
echo "integrated loudness; p.LUFS and p.dBTP: the decoded preview's (target -16 LUFS, ceiling -1 dBTP)."
echo "ms: wall time to analyse the take and write its master and preview."
exit $status
