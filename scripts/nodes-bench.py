#!/usr/bin/env python3
"""Several nodes on one vault, measured: takes per minute with one `serve` node against two node
processes on the same PostgreSQL catalog and the same store; catalog round trips per ingested
take; acknowledgement latency with the shared catalog against the embedded SQLite one.

Each configuration gets the same set of takes (stereo 24-bit WAV of --seconds each), uploaded
--concurrency at a time with signed requests (scripts/relay_client.py), spread over the nodes;
the clock runs from the first upload to the last job done. Every node runs one worker, so one node
is one take at a time and two nodes can use both cores: the ratio shows whether the queue and the
catalog, shared between the nodes, hold them back. A private PostgreSQL (scripts/postgres.sh)
counts statements with pg_stat_statements: one statement is one round trip (postgres-nio sends
parse, bind and execute together). The store is a folder shared by the nodes' vault folders.

Checks, whatever the speed: every upload acknowledged, every job done, one take per upload.
With --gate, fails (exit 1) when the two-node speed-up falls below --min-speedup or the round
trips per take exceed --max-round-trips (their reasons: Benchmarks/README.md).

Usage: nodes-bench.py TAKEVAULT [--takes 40] [--seconds 10] [--concurrency 4] [--gate] [--markdown FILE]
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
parser.add_argument("--takes", type=int, default=40)
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--concurrency", type=int, default=4)
parser.add_argument("--gate", action="store_true")
parser.add_argument("--min-speedup", type=float, default=1.3)
parser.add_argument("--max-round-trips", type=float, default=60)
parser.add_argument("--timeout", type=float, default=600)
parser.add_argument("--markdown")
options = parser.parse_args()

HERE = os.path.dirname(os.path.abspath(__file__))
KEY_ID = "bench-relay"
POLL_MARK = "nodes-bench-poll"
SECRET = secrets.token_urlsafe(32)
work = tempfile.mkdtemp(prefix="takevault-nodes-bench-")
problems = []


def fail_now(message):
    print(f"nodes-bench: FAIL: {message}", file=sys.stderr)
    raise SystemExit(1)


# --- PostgreSQL, with statement counts.
postgres_dir = tempfile.mkdtemp(prefix="takevault-postgres-bench-")
started = subprocess.run([os.path.join(HERE, "postgres.sh"), "start", postgres_dir], capture_output=True, text=True,
                         env=dict(os.environ, TAKEVAULT_POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements"))
if started.returncode != 0:
    fail_now(f"postgres.sh start: {started.stderr}")
exports = dict(line[len("export "):].split("=", 1) for line in started.stdout.splitlines() if line.startswith("export "))
catalog_url, password = exports["TAKEVAULT_TEST_POSTGRES_URL"], exports["TAKEVAULT_TEST_POSTGRES_PASSWORD"]
host_port = catalog_url.split("@", 1)[1].split("/", 1)[0]
pg_host, pg_port = host_port.rsplit(":", 1)
pg_user = catalog_url[len("postgres://"):].split("@", 1)[0]


def psql(sql, database):
    result = subprocess.run(["psql", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", pg_host, "-p", pg_port, "-U", pg_user, "-d", database, "-c", sql],
                            capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=password))
    if result.returncode != 0:
        fail_now(f"psql {sql!r}: {result.stderr}")
    return result.stdout.strip()


admin_database = catalog_url.rsplit("/", 1)[1]
psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", admin_database)

# --- the takes.
files = []
for index in range(options.takes):
    path = os.path.join(work, f"take-{index:03d}.wav")
    write_wav(path, options.seconds, 24, 2, seed=index + 1)
    files.append({"path": path, "owner": f"u{index % 4}", "sha": sha256_file(path), "size": os.path.getsize(path)})


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_node(vault, environment, node):
    log = open(os.path.join(work, f"serve-{node}.log"), "w")
    process = subprocess.Popen([options.takevault, "serve", "--vault", vault, "--listen", "127.0.0.1:0", "--workers", "1",
                                "--node", node, "--queue-capacity", "256"], stdout=subprocess.PIPE, stderr=log, text=True, env=environment)
    line = process.stdout.readline()
    if not line.startswith("listening on http://"):
        fail_now(f"serve did not start: {line!r}")
    return process, Relay.from_url(line.strip()[len("listening on "):], KEY_ID, SECRET)


def run(label, node_count, shared):
    """Uploads every take through `node_count` nodes of one fresh vault; returns the figures."""
    base = os.path.join(work, label)
    os.makedirs(base)
    environment = dict(os.environ, TAKEVAULT_MASTER_KEY_FILE=os.path.join(base, "master.key"), TAKEVAULT_CATALOG_PASSWORD=password)
    subprocess.run([options.takevault, "keys", "generate", environment["TAKEVAULT_MASTER_KEY_FILE"]], check=True, stdout=subprocess.DEVNULL)
    database = None
    init = []
    if shared:
        database = f"bench_{label.replace('-', '_')}_{secrets.token_hex(4)}"
        psql(f"CREATE DATABASE {database}", admin_database)
        init = ["--catalog", catalog_url.rsplit("/", 1)[0] + "/" + database, "--store", os.path.join(base, "store")]
    nodes = []
    for index in range(node_count):
        vault = os.path.join(base, f"node-{index + 1}")
        subprocess.run([options.takevault, "init", "--vault", vault] + init, check=True, stdout=subprocess.DEVNULL, env=environment)
        with open(os.open(os.path.join(vault, "relays.json"), os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            json.dump({"relays": [{"key_id": KEY_ID, "secret": SECRET, "owners": ["u*"]}]}, handle)
        nodes.append((vault,) + start_node(vault, environment, f"n{index + 1}"))
    started_nodes.extend(process for _, process, _ in nodes)
    if shared:
        psql("SELECT pg_stat_statements_reset()", admin_database)
    lock = threading.Lock()
    pending = [dict(item, key=f"{label}-{index}", node=index % node_count) for index, item in enumerate(files)]
    accepted, latencies, errors = {}, [], []

    def client():
        while True:
            with lock:
                if not pending:
                    return
                item = pending.pop(0)
            relay = nodes[item["node"]][2]
            status, headers, payload, seconds = relay.upload(item)
            with lock:
                if status == 202:
                    latencies.append(seconds)
                    accepted[item["key"]] = json.loads(payload)["job_id"]
                else:
                    errors.append(f"{item['key']}: HTTP {status} {payload[:200]!r}")

    cpu_before = sum(cpu_seconds(process.pid) for _, process, _ in nodes)
    clock = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(options.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outstanding = set(accepted.values())
    states = {}
    deadline = time.monotonic() + options.timeout
    while outstanding and time.monotonic() < deadline:
        if shared:
            # Polled in the database, marked so that the round trips counted are the nodes' own.
            finished = int(psql(f"SELECT /* {POLL_MARK} */ count(*) FROM jobs WHERE state IN ('done', 'rejected', 'failed')", database))
            if finished < len(outstanding):
                time.sleep(0.1)
                continue
        for job in list(outstanding):
            document = nodes[0][2].job(job)
            if document.get("state") in ("done", "rejected", "failed"):
                states[job] = document["state"]
                outstanding.discard(job)
        if outstanding:
            time.sleep(0.1)
    elapsed = time.monotonic() - clock
    cores_used = (sum(cpu_seconds(process.pid) for _, process, _ in nodes) - cpu_before) / elapsed
    statements = None
    if shared:
        statements = int(psql("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                              f"WHERE d.datname = '{database}' AND s.query NOT LIKE '%{POLL_MARK}%'", admin_database) or 0)
        # What the nodes asked, most frequent first (printed to stderr, for reading the figure).
        print(f"{label}: statements by calls:\n" + psql("SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements s "
                                                       f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{database}' "
                                                       f"AND s.query NOT LIKE '%{POLL_MARK}%' ORDER BY calls DESC LIMIT 25", admin_database),
              file=sys.stderr)
    for _, process, _ in nodes:
        process.send_signal(signal.SIGTERM)
    for _, process, _ in nodes:
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
    listing = json.loads(subprocess.run([options.takevault, "ls", "--vault", nodes[0][0], "--json"], check=True, capture_output=True,
                                        text=True, env=environment).stdout)
    problems.extend(f"{label}: {error}" for error in errors)
    if len(accepted) != len(files):
        problems.append(f"{label}: {len(accepted)} of {len(files)} uploads acknowledged")
    if outstanding or any(state != "done" for state in states.values()):
        problems.append(f"{label}: jobs not done: {len(outstanding)} unfinished, {[s for s in states.values() if s != 'done'][:3]}")
    if len({take['take_id'] for take in listing}) != len(files) or len(listing) != len(files):
        problems.append(f"{label}: {len(listing)} takes listed for {len(files)} uploads")
    return {
        "takes_per_minute": len(states) / elapsed * 60,
        "seconds": elapsed,
        "node_cores_used": cores_used,
        "ack_p50_ms": percentile(latencies, 0.5) * 1000,
        "ack_p99_ms": percentile(latencies, 0.99) * 1000,
        "round_trips_per_take": statements / len(files) if statements is not None else None,
    }


started_nodes = []
try:
    results = {
        "sqlite": run("sqlite", 1, shared=False),
        "postgres-1": run("postgres-1", 1, shared=True),
        "postgres-2": run("postgres-2", 2, shared=True),
    }
finally:
    # Whatever stopped the run, no node outlives it.
    for process in started_nodes:
        if process.poll() is None:
            process.kill()
            process.wait()
    subprocess.run([os.path.join(HERE, "postgres.sh"), "stop", postgres_dir], capture_output=True)
    shutil.rmtree(postgres_dir, ignore_errors=True)

speedup = results["postgres-2"]["takes_per_minute"] / results["postgres-1"]["takes_per_minute"]
round_trips = results["postgres-1"]["round_trips_per_take"]
report = dict(results, speedup_two_nodes=speedup, cores=os.cpu_count())
print(json.dumps(report, indent=2))
if options.gate:
    if speedup < options.min_speedup:
        problems.append(f"two nodes {speedup:.2f}× one node's takes per minute (threshold {options.min_speedup})")
    if round_trips > options.max_round_trips:
        problems.append(f"{round_trips:.1f} catalog round trips per ingested take (threshold {options.max_round_trips})")
if options.markdown:
    with open(options.markdown, "a") as out:
        out.write("\n## Several nodes, one vault\n\n")
        out.write(f"`python3 scripts/nodes-bench.py takevault --takes {options.takes} --seconds {options.seconds:g} "
                  f"--concurrency {options.concurrency}` (release build, loopback, {os.cpu_count()} cores): {options.takes} takes of "
                  f"{options.seconds:g} s (stereo, 24-bit, 48 kHz WAV), {options.concurrency} uploads at a time, spread over the nodes; "
                  "each node runs one worker; the store is a folder the nodes share; the clock runs from the first upload to the last "
                  "job done. Round trips are PostgreSQL statements counted by pg_stat_statements over the whole run (uploads, "
                  "claims, leases, ingest, outcome), divided by the takes.\n\n")
        out.write("| configuration | takes/min | acknowledgement p50 / p99 | catalog round trips per take |\n|---|---|---|---|\n")
        for label, name in [("sqlite", "one node, SQLite catalog, local spool"), ("postgres-1", "one node, PostgreSQL catalog, staged uploads"),
                            ("postgres-2", "two nodes, PostgreSQL catalog, staged uploads")]:
            figures = results[label]
            trips = f"{figures['round_trips_per_take']:.1f}" if figures["round_trips_per_take"] is not None else "—"
            out.write(f"| {name} | {figures['takes_per_minute']:.1f} | {figures['ack_p50_ms']:.0f} ms / {figures['ack_p99_ms']:.0f} ms | {trips} |\n")
        out.write(f"\nTwo nodes against one: {speedup:.2f}×.\n")
if problems:
    for problem in problems:
        print(f"nodes-bench: FAIL: {problem}", file=sys.stderr)
    print(f"nodes-bench: work folder kept: {work}", file=sys.stderr)
    raise SystemExit(1)
shutil.rmtree(work, ignore_errors=True)
print("nodes-bench: ok", file=sys.stderr)
