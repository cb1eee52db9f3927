#!/usr/bin/env bash
# The concurrency torture test for a long budget (CI runs it for 40 s on a local vault and 20 s on
# SeaweedFS): several takevault processes on one vault running random operations, some killed with
# SIGKILL at named points, then every invariant checked (Tests/TakevaultCLITests/ConcurrencyTortureTests.swift).
# Usage: scripts/torture.sh [SECONDS] [SEED]   (SECONDS for the local vault, half of it on S3; SEED replays a schedule)
set -euo pipefail
cd "$(dirname "$0")/.."
export TAKEVAULT_TORTURE_SECONDS="${1:-600}"
if [ -n "${2:-}" ]; then export TAKEVAULT_TORTURE_SEED="$2"; fi
exec scripts/test.sh --filter ConcurrencyTortureTests
