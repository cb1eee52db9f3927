#!/usr/bin/env bash
# The main job on the shipped samples: ingest every take in samples/ into a vault in the working
# folder (analysis, FLAC master, loudness-normalised Opus preview, waveform — sealed, tagged and
# committed), verify the vault, restore each master and preview into an output folder to listen
# to, and print the table of takes.
#
# Usage: scripts/demo.sh [VAULT, default ./vault] [OUT, default ./out]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
vault="${1:-vault}"
out="${2:-out}"

"$repo/scripts/deps.sh"
(cd "$repo" && swift build -c release --product takevault >&2)
takevault="$(cd "$repo" && swift build -c release --show-bin-path)/takevault"

[ -f "$vault/config.json" ] || "$takevault" init --vault "$vault" >&2
mkdir -p "$out"

status=0
rows=()
for take in "$repo"/samples/*.wav "$repo"/samples/*.flac "$repo"/samples/*.ogg; do
  [ -e "$take" ] || continue
  start=$(date +%s%N)
  if ! result="$("$takevault" ingest --vault "$vault" --owner demo --tier pro --json "$take")"; then
    echo "$(basename "$take"): rejected: $result" >&2
    status=3
    continue
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["take_id"])' <<<"$result")"
  stem="$(basename "${take%.*}")"
  manifest="$("$takevault" inspect --vault "$vault" "$id" --json)"
  codec="$(python3 -c 'import json,sys; m=json.load(sys.stdin); print(next(a["codec"] for a in m["body"]["artefacts"] if a["kind"]=="master"))' <<<"$manifest")"
  extension=$([ "$codec" = flac ] && echo flac || echo "${take##*.}")
  "$takevault" restore --vault "$vault" "$id" --artefact master -o "$out/$stem.master.$extension" >/dev/null
  "$takevault" restore --vault "$vault" "$id" --artefact preview -o "$out/$stem.preview.opus" >/dev/null
  rows+=("$(python3 -c 'import json,sys; print(json.dumps({"ms": int(sys.argv[1]), "manifest": json.loads(sys.argv[2])}))' "$ms" "$manifest")")
done

"$takevault" verify --vault "$vault" --read-data
echo
printf '%s\n' "${rows[@]}" | python3 -c '
import json, sys
line = "{:<27} {:<32} {:<12} {:>6}  {:<9} {:>8} {:>8} {:>6} {:>6} {:>5}"
print(line.format("take", "take id", "format", "LUFS", "master", "upload", "stored", "p.LUFS", "p.dBTP", "ms"))
fmt = lambda v: "-" if v is None else "%.1f" % v
for raw in sys.stdin:
    row = json.loads(raw)
    body = row["manifest"]["body"]
    probe, analysis, preview = body["original"]["probe"], body["analysis"], body.get("preview") or {}
    master = next(a for a in body["artefacts"] if a["kind"] == "master")
    stored = sum(a["bytes"] for a in body["artefacts"])
    print(line.format(body["original"]["file_name"], body["take_id"], probe["format"] + "/" + probe["subtype"],
                      fmt(analysis.get("integrated_lufs")), master["codec"], body["original"]["bytes"], stored,
                      fmt(preview.get("integrated_lufs")), fmt(preview.get("true_peak_dbtp")), row["ms"]))
'
echo
echo "Vault: $vault (takevault ls --vault $vault). Masters and previews restored from it: $out/."
echo "stored: bytes of all artefacts (master, preview, waveform, report) before sealing; ms: ingest wall time."
exit $status
