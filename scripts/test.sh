#!/usr/bin/env bash
# Runs every takevault test on this machine: installs the Debian packages the build and the tests
# need if any are missing, builds, and runs the whole suite (Swift Testing).
# Usage: scripts/test.sh [extra swift test arguments, e.g. --filter Opus]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
/usr/bin/python3 scripts/format-vectors.py --check
swift build --build-tests
swift test --skip-build "$@"
