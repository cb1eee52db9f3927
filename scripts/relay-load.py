#!/usr/bin/env python3
"""Bounded load test of `takevault serve`, on loopback only.

Starts a server on a fresh vault (port chosen by the kernel), then N client threads upload a
fixed set of mixed takes (lengths, bit depths, channel counts; some uploaded twice under new keys)
with signed requests (scripts/relay_client.py: written from docs/RELAY.md, a second, independent
implementation of the signing scheme). A `503` is waited out for its Retry-After and retried with a fresh signature. When
every upload is acknowledged the script follows every job to its end, then checks:

  * every acknowledged upload's job is `done`;
  * every distinct take (owner + content) is archived exactly once (`takevault ls`, one manifest);
  * every `503` carried Retry-After and its upload succeeded when retried;
  * the server's resident memory stayed under --rss-limit-mib.

It prints uploads/s, MB/s, p50/p99 acknowledgement latency, 503 count and peak RSS, and with
--markdown appends them to a file. It stops by itself: a fixed upload count, and --timeout.
Exit 1 if a check fails.

Usage: relay-load.py TAKEVAULT [--uploads 96] [--concurrency 32] [--queue-capacity 8]
                     [--workers N] [--timeout 900] [--markdown FILE]
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_client import Relay, percentile, sha256_file, write_wav  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("takevault")
parser.add_argument("--uploads", type=int, default=96)
parser.add_argument("--concurrency", type=int, default=32)
parser.add_argument("--queue-capacity", type=int, default=8)
parser.add_argument("--workers", type=int, default=0, help="0: the server's default (one per core)")
parser.add_argument("--timeout", type=float, default=900)
parser.add_argument("--rss-limit-mib", type=float, default=512)
parser.add_argument("--markdown")
options = parser.parse_args()

KEY_ID = "load-relay"
SECRET = secrets.token_urlsafe(32)
work = tempfile.mkdtemp(prefix="takevault-relay-load-")
vault = os.path.join(work, "vault")
deadline = time.monotonic() + options.timeout


def fail(message):
    print(f"relay-load: FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


# --- the takes: mixed lengths and formats; every fourth upload repeats an earlier file under a new key.
os.makedirs(vault)
subprocess.run([options.takevault, "init", "--vault", vault], check=True, stdout=subprocess.DEVNULL)
keys_path = os.path.join(vault, "relays.json")
with open(os.open(keys_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
    json.dump({"relays": [{"key_id": KEY_ID, "secret": SECRET, "owners": ["u*"]}]}, handle)

shapes = [(2, 16, 1), (5, 24, 2), (10, 16, 2), (20, 24, 2), (3, 24, 1), (30, 16, 2)]
distinct = (options.uploads * 3) // 4
files = []
for index in range(distinct):
    seconds, bits, channels = shapes[index % len(shapes)]
    path = os.path.join(work, f"take-{index:03d}.wav")
    write_wav(path, seconds, bits, channels, seed=index)
    files.append({"path": path, "owner": f"u{index % 8}", "sha": sha256_file(path), "size": os.path.getsize(path), "seconds": seconds})
uploads = []
for index in range(options.uploads):
    source = files[index] if index < distinct else files[(index * 7) % distinct]
    uploads.append(dict(source, key=f"load-{index:03d}"))

# --- the server.
log_path = os.path.join(work, "serve.log")
log = open(log_path, "w")
command = [options.takevault, "serve", "--vault", vault, "--listen", "127.0.0.1:0", "--queue-capacity", str(options.queue_capacity)]
if options.workers:
    command += ["--workers", str(options.workers)]
server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
line = server.stdout.readline()
if not line.startswith("listening on http://"):
    fail(f"serve did not start: {line!r} {open(log_path).read()[-2000:]}")
relay = Relay.from_url(line.strip()[len("listening on "):], KEY_ID, SECRET)

peak_rss = [0]
sampling = threading.Event()


def sample_rss():
    while not sampling.is_set():
        try:
            with open(f"/proc/{server.pid}/status") as status:
                for field in status:
                    if field.startswith("VmRSS:"):
                        peak_rss[0] = max(peak_rss[0], int(field.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)


sampler = threading.Thread(target=sample_rss, daemon=True)
sampler.start()

lock = threading.Lock()
latencies = []
busy = {"count": 0, "without_retry_after": 0}
accepted = {}
errors = []
pending = list(uploads)


def upload_once(item):
    return relay.upload(item)


def client():
    while time.monotonic() < deadline:
        with lock:
            if not pending:
                return
            item = pending.pop()
        while time.monotonic() < deadline:
            try:
                status, headers, payload, latency = upload_once(item)
            except OSError as error:
                # A refused early answer can reset the connection mid-body; that is a 503 path too.
                with lock:
                    errors.append(f"{item['key']}: {error}")
                return
            if status == 503:
                retry_after = headers.get("Retry-After")
                with lock:
                    busy["count"] += 1
                    if retry_after is None:
                        busy["without_retry_after"] += 1
                time.sleep(float(retry_after or 1))
                continue
            with lock:
                if status == 202:
                    latencies.append(latency)
                    accepted[item["key"]] = dict(item, job=json.loads(payload)["job_id"])
                else:
                    errors.append(f"{item['key']}: HTTP {status} {payload[:200]!r}")
            break


accept_started = time.monotonic()
threads = [threading.Thread(target=client) for _ in range(options.concurrency)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
accept_seconds = time.monotonic() - accept_started


def job_state(job):
    return relay.job(job)


outstanding = {item["job"]: item for item in accepted.values()}
finished = {}
while outstanding and time.monotonic() < deadline:
    for job in list(outstanding):
        document = job_state(job)
        if document.get("state") in ("done", "rejected", "failed"):
            finished[job] = document
            del outstanding[job]
    time.sleep(0.5)
all_done_seconds = time.monotonic() - accept_started

sampling.set()
server.send_signal(signal.SIGTERM)
try:
    server.wait(timeout=120)
except subprocess.TimeoutExpired:
    server.kill()
    errors.append("serve did not stop within 120 s of SIGTERM")

# --- checks.
listing = json.loads(subprocess.run([options.takevault, "ls", "--vault", vault, "--json"], check=True, capture_output=True, text=True).stdout)
take_ids = [take["take_id"] for take in listing]
manifests = []
for root, _, names in os.walk(os.path.join(vault, "store", "v1")):
    manifests += [os.path.join(root, name) for name in names if name.startswith("manifest-")]
distinct_uploads = {(item["owner"], item["sha"]) for item in uploads}
problems = list(errors)
if outstanding:
    problems.append(f"{len(outstanding)} jobs unfinished at the timeout")
if len(accepted) != len(uploads):
    problems.append(f"{len(accepted)} of {len(uploads)} uploads acknowledged")
not_done = [document for document in finished.values() if document["state"] != "done"]
if not_done:
    problems.append(f"{len(not_done)} jobs not done: {not_done[:2]}")
if len(take_ids) != len(set(take_ids)) or len(take_ids) != len(distinct_uploads):
    problems.append(f"{len(take_ids)} takes listed for {len(distinct_uploads)} distinct uploads")
if len(manifests) != len(distinct_uploads):
    problems.append(f"{len(manifests)} manifests for {len(distinct_uploads)} distinct uploads")
if busy["without_retry_after"]:
    problems.append(f"{busy['without_retry_after']} 503 answers without Retry-After")
spool_left = os.listdir(os.path.join(vault, "spool", "accepted"))
if spool_left:
    problems.append(f"{len(spool_left)} files left in the spool")
peak_mib = peak_rss[0] / 1024
if peak_mib > options.rss_limit_mib:
    problems.append(f"server RSS peaked at {peak_mib:.0f} MiB (limit {options.rss_limit_mib:.0f})")

total_bytes = sum(item["size"] for item in accepted.values())
cores = os.cpu_count()
report = {
    "uploads": len(accepted),
    "distinct_takes": len(distinct_uploads),
    "concurrency": options.concurrency,
    "queue_capacity": options.queue_capacity,
    "megabytes": total_bytes / 1e6,
    "accept_seconds": accept_seconds,
    "uploads_per_second": len(accepted) / accept_seconds,
    "megabytes_per_second": total_bytes / 1e6 / accept_seconds,
    "ack_p50_ms": percentile(latencies, 0.50) * 1000,
    "ack_p99_ms": percentile(latencies, 0.99) * 1000,
    "busy_503": busy["count"],
    "all_archived_seconds": all_done_seconds,
    "distinct_audio_seconds": sum(item["seconds"] for item in files),
    "peak_rss_mib": peak_mib,
}
print(json.dumps(report, indent=2))
if options.markdown:
    with open(options.markdown, "a") as out:
        out.write("\n## Relay under load\n\n")
        out.write(f"`python3 scripts/relay-load.py {os.path.basename(options.takevault)} --uploads {options.uploads} "
                  f"--concurrency {options.concurrency} --queue-capacity {options.queue_capacity}` (release build, loopback, {cores} cores): "
                  f"{len(accepted)} signed uploads of {len(distinct_uploads)} distinct takes (2–30 s, 16/24-bit, mono/stereo WAV; "
                  "a quarter repeat earlier audio under new idempotency keys), 503s waited out and retried. Every take was archived once; "
                  "the spool ended empty. With the queue capped at 8, acknowledgements run at the pipeline's pace: "
                  "that is the backpressure working, not the HTTP path's limit.\n\n")
        out.write("| figure | value |\n|---|---|\n")
        out.write(f"| uploads/s (acknowledged, while the pipeline runs) | {report['uploads_per_second']:.1f} |\n")
        out.write(f"| MB/s acknowledged | {report['megabytes_per_second']:.1f} |\n")
        out.write(f"| acknowledgement latency p50 / p99 | {report['ack_p50_ms']:.0f} ms / {report['ack_p99_ms']:.0f} ms |\n")
        out.write(f"| 503 answers (all with Retry-After, all retried successfully) | {report['busy_503']} |\n")
        out.write(f"| all {len(accepted)} jobs done after | {report['all_archived_seconds']:.1f} s "
                  f"({report['distinct_audio_seconds']:.0f} s of distinct audio: "
                  f"{report['distinct_audio_seconds'] / report['all_archived_seconds']:.0f}× real time) |\n")
        out.write(f"| server peak RSS | {report['peak_rss_mib']:.0f} MiB |\n")
if problems:
    for problem in problems:
        print(f"relay-load: FAIL: {problem}", file=sys.stderr)
    print(f"relay-load: work folder kept: {work}", file=sys.stderr)
    raise SystemExit(1)
shutil.rmtree(work, ignore_errors=True)
print("relay-load: ok", file=sys.stderr)
