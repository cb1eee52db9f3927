// Pipeline benchmarks: chunk sealing against AES-GCM alone, ingest CPU against the codecs alone,
// and peak memory of a long ingest against a short one. Exit 1 when a threshold is breached (the
// message names the benchmark and both numbers).
//
// Usage: takevault-pipeline-bench [--gate] [--markdown FILE] [--only rss|seal|ingest|reprocess|sweep|delivery|s3-delivery|s3]
//   --gate: the CI set (RSS compares 5 minutes with 1 hour instead of 3 hours)
//   --only: run one benchmark (while working on it)

import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The pipeline logs at info; a benchmark prints only its figures.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}

var gate = false
var markdownPath: String?
var only: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--gate": gate = true
    case "--markdown": markdownPath = arguments.next()
    case "--only": only = arguments.next()
    case "--write-take":
        // Writes the benchmark's synthetic take (for looking at a stage on its own) and exits.
        SyntheticTake.write(arguments.next() ?? "take.wav", seconds: Int(arguments.next() ?? "300") ?? 300)
        exit(0)
    default:
        print("usage: takevault-pipeline-bench [--gate] [--markdown FILE]")
        exit(2)
    }
}

// Thresholds, and why each number is what it is.
/// Sealing is an HMAC-SHA256 pass (the chunk id), a key derivation and an AES-256-GCM pass written
/// straight into the object, one chunk at a time as the pipeline seals. Measured 0.98–1.00× the two
/// primitives alone in alternating rounds (1.25 GB/s here, over the issue's 1 GB/s per core); the
/// regressions it guards against measured 0.71× (fresh pages per chunk) and 0.53× (the Data round
/// trip swift-crypto's GCM made). The threshold sits between those and the machine's noise: the
/// median of nine paired rounds has measured 0.85–1.05 between runs of unchanged code here (0.847
/// and 0.888 in two CI runs, 0.93 and 1.05 straight after the first), so 0.9 failed on noise.
let sealRatioThreshold = 0.8
/// Ingest against the codec work it must do, alone: decode, libFLAC, libopus encoding the preview
/// and decoding it back (the check that makes the −1 dBTP ceiling a promise: Opus moves peaks 1–3 dB,
/// so the preview is decoded and measured before it commits). The issue's goal is 1.10×; measured
/// 1.03–1.09× (`takevault-pipeline-bench --only ingest`, five runs). What ingest adds on top is its
/// own work: hashing the upload, the analysis and waveform, a second read of the upload for the
/// preview, measuring the decoded preview, sealing and fsync'd stores. Against encoding alone (the
/// decode-back left out of the anchor) it is 1.19–1.23×, printed beside. The threshold leaves the
/// shared machine's noise room above the goal (five rounds, median); a change that costs 5 % more
/// fails it. Before the preview was read back with libopus directly (OggOpusReader) instead of
/// through libsndfile's multistream decode, ingest against encoding alone was 1.31–1.38×.
let ingestRatioThreshold = 1.15
/// Reprocess against decode FLAC + analysis + libopus encode and decode + measuring the decoded
/// preview, alone. The issue's goal is 1.10×; measured 1.01–1.07× (batches of 2 and 4). On top:
/// unsealing the master, the preview stages, sealing and storing the new artefacts. The master is
/// read once (analysis and the preview's first render share the read). Against encoding alone:
/// 1.20–1.27×, printed beside (1.44–1.50× before the direct read-back and the shared read).
/// Threshold as for ingest; the gate's batch of two is the noisier (0.996 and 1.088 in two CI runs
/// of three rounds), hence five. The anchor runs two at a time as reprocess does: against a serial
/// anchor the figure also carried the two cores' contention and spread 1.02–1.19 over five CI runs.
let reprocessRatioThreshold = 1.15
/// Memory flat in take length: a 3-hour take's peak RSS within 1.2× a 5-minute one's.
let rssRatioThreshold = 1.2
/// Sweep planning over a million takes, in seconds: the issue's figure for this machine. An
/// absolute time (nothing to take a ratio against): the plan is one scan of a covering index,
/// measured at 0.6 s for half a million due takes.
let sweepPlanSeconds = 2.0
/// Serving an artefact through the relay against restoring it to a file (both stream, check and
/// write every chunk; the relay adds HTTP on loopback and a client writing the file): the issue's
/// goal, ≥ 0.8× restore's rate.
let deliveryRatioThreshold = 0.8
/// Serving a master through the relay from an S3 store against the transfer engine of `aws s3 cp`
/// moving the same sealed bytes from the same server, each to a plain client writing a file: the
/// issue's goal, ≥ 0.8×. Measured 0.93–0.95 (median of nine per-round ratios); `takevault fetch`,
/// which also hashes what it writes, is printed beside it (Benchmarks/README.md).
let s3DeliveryRatioThreshold = 0.8
/// Rounds of the S3 delivery ratio: its passes are short (43 MB), so more of them than the CPU ratios.
let s3DeliveryRounds = 9
/// 32 concurrent range readers may grow the server's peak RSS by at most this: each transfer
/// holds two chunks (sealed and opened, 4 MiB each), so 32 × 16 MiB, and room for HTTP buffers.
let deliveryRSSGrowthLimit: Int64 = 640 * 1_048_576
/// Rounds of the CPU ratios (ingest, reprocess), each alternating which side goes first; the
/// median is the figure.
let ratioRounds = 5

@MainActor
func wanted(_ name: String) -> Bool { only == nil || only == name }

let scratch = "/tmp/takevault-bench-\(getpid())"
mkdir(scratch, 0o755)
defer { _ = system("rm -rf '\(scratch)'") }
var failures: [String] = []
var rows: [(String, String, String, String)] = []

@MainActor
func report(_ name: String, ours: String, anchor: String, figure: Double, threshold: Double, higherIsBetter: Bool) {
    let ok = higherIsBetter ? figure >= threshold : figure <= threshold
    let relation = higherIsBetter ? "≥" : "≤"
    print("\(name): \(ours); \(anchor); \(String(format3: figure)) (threshold \(relation) \(threshold)) \(ok ? "ok" : "BELOW THRESHOLD")")
    rows.append((name, ours, anchor, "\(String(format3: figure)) (\(relation) \(threshold))"))
    if !ok { failures.append("FAIL: \(name): \(String(format3: figure)) against a threshold of \(relation) \(threshold) (\(ours); \(anchor))") }
}

let fiveMinutes = scratch + "/five-minutes.wav"
if wanted("rss") || wanted("ingest") { SyntheticTake.write(fiveMinutes, seconds: 300) }

// 1. Peak RSS of a long ingest against a short one, each in its own process. First, while this
// process is small: a child started with posix_spawn (vfork) inherits the parent's peak RSS in
// ru_maxrss until it execs.
let binary = CommandLine.arguments[0].split(separator: "/").dropLast().joined(separator: "/")
let takevault = (CommandLine.arguments[0].hasPrefix("/") ? "/" : "") + binary + "/takevault"
let longSeconds = gate ? 3_600 : 10_800
if wanted("rss") {
let long = scratch + "/long.wav"
SyntheticTake.write(long, seconds: longSeconds)
// Cheapest codec settings: memory is what is measured here, not codec time.
let quick = ["--flac-level", "0", "--opus-complexity", "0"]
var rss: [Int64] = []
for (index, file) in [fiveMinutes, long].enumerated() {
    let vault = scratch + "/rss-vault-\(index)"
    _ = Measure.childPeakRSS(takevault, ["init", "--vault", vault])
    let run = Measure.childPeakRSS(takevault, ["ingest", "--vault", vault, "--owner", "bench", "--tier", "studio"] + quick + [file])
    if run.status != 0 { failures.append("FAIL: ingest of \(file) exited \(run.status)") }
    rss.append(run.peakRSS)
    _ = system("rm -rf '\(vault)'")
}
unlink(long)
report("peak RSS, \(longSeconds / 3_600)-hour take vs 5-minute take", ours: "\(rss[1] / 1_048_576) MiB for \(longSeconds / 3_600) h",
       anchor: "\(rss[0] / 1_048_576) MiB for 5 min", figure: Double(rss[1]) / Double(max(rss[0], 1)), threshold: rssRatioThreshold, higherIsBetter: false)
}

// 2. Sealing.
if wanted("seal") {
let seal = try await SealBenchmark.run(megabytes: gate ? 128 : 512, directory: scratch + "/store")
report("seal 4 MiB chunks (HMAC id + AES-256-GCM)", ours: "seal \(String(format3: seal.sealGBps)) GB/s, open+check \(String(format3: seal.openGBps)) GB/s, store (fsync) \(String(format3: seal.storeGBps)) GB/s",
       anchor: "HMAC-SHA256 + AES-256-GCM (OpenSSL) alone \(String(format3: seal.anchorGBps)) GB/s", figure: seal.ratio, threshold: sealRatioThreshold, higherIsBetter: true)
}

// 3. Ingest CPU against the codecs alone, alternating, median of rounds.
if wanted("ingest") {
var restored: (seconds: Double, bytes: Int64) = (0, 0)
var ingestRatios: [Double] = [], encodeOnlyRatios: [Double] = [], oursTimes: [Double] = [], anchorTimes: [Double] = []
var oursSystem: [Double] = [], anchorSystem: [Double] = []
for round in 0..<ratioRounds {
    let vault = scratch + "/vault-\(round)"
    let ours: IngestBenchmark.Cost
    let anchor: (full: IngestBenchmark.Cost, encodeOnly: IngestBenchmark.Cost)
    if round % 2 == 0 {
        ours = try await IngestBenchmark.ours(fiveMinutes, vaultDirectory: vault)
        anchor = try IngestBenchmark.anchor(fiveMinutes, scratch: scratch)
    } else {
        anchor = try IngestBenchmark.anchor(fiveMinutes, scratch: scratch)
        ours = try await IngestBenchmark.ours(fiveMinutes, vaultDirectory: vault)
    }
    if round == 0 { restored = try await IngestBenchmark.restore(fiveMinutes, vaultDirectory: vault) }
    _ = system("rm -rf '\(vault)'")
    oursTimes.append(ours.user)
    anchorTimes.append(anchor.full.user)
    oursSystem.append(ours.system)
    anchorSystem.append(anchor.full.system)
    ingestRatios.append(ours.user / anchor.full.user)
    encodeOnlyRatios.append(ours.user / anchor.encodeOnly.user)
}
report("ingest CPU (user), 5-minute 48 kHz/24-bit stereo take",
       ours: "ingest \(String(format3: Measure.median(oursTimes))) s user + \(String(format3: Measure.median(oursSystem))) s system",
       anchor: "decode + libFLAC + libopus (encode, decode back) alone \(String(format3: Measure.median(anchorTimes))) s user + "
           + "\(String(format3: Measure.median(anchorSystem))) s system; against encoding alone \(String(format3: Measure.median(encodeOnlyRatios)))×",
       figure: Measure.median(ingestRatios), threshold: ingestRatioThreshold, higherIsBetter: false)
// Reported, not gated: restore is unseal + check + write, bounded by the store's reads and fsync.
let restoreMBps = Double(restored.bytes) / 1e6 / restored.seconds
print("restore master + preview of the 5-minute take: \(String(format3: restored.seconds)) s wall, \(String(format3: restoreMBps)) MB/s")
rows.append(("restore master + preview, 5-minute take (wall)", "\(String(format3: restored.seconds)) s, \(String(format3: restoreMBps)) MB/s written",
             "(reported, not gated)", "—"))
}

// 3b. Reprocess a batch of 5-minute takes to a new target, alternating with the anchor; median of rounds.
if wanted("reprocess") {
    if access(fiveMinutes, F_OK) != 0 { SyntheticTake.write(fiveMinutes, seconds: 300) }
    let takes = gate ? 2 : 4
    let vaultDirectory = scratch + "/reprocess-vault"
    let master = scratch + "/reprocess-master.flac"
    _ = try await ReprocessBenchmark.prepare(fiveMinutes, takes: takes, vaultDirectory: vaultDirectory, master: master)
    var ratios: [Double] = [], encodeOnlyRatios: [Double] = [], ours: [Double] = [], anchors: [Double] = [], walls: [Double] = []
    for round in 0..<ratioRounds {
        // A new target each round, so every round reprocesses every take.
        let target = -14.0 - Double(round)
        let anchor: (full: Double, encodeOnly: Double)
        let run: (user: Double, system: Double, wall: Double, done: Int)
        if round % 2 == 0 {
            run = try await ReprocessBenchmark.ours(vaultDirectory: vaultDirectory, target: target)
            anchor = try ReprocessBenchmark.anchor(master: master, takes: takes, scratch: scratch)
        } else {
            anchor = try ReprocessBenchmark.anchor(master: master, takes: takes, scratch: scratch)
            run = try await ReprocessBenchmark.ours(vaultDirectory: vaultDirectory, target: target)
        }
        if run.done != takes { failures.append("FAIL: reprocess round \(round) finished \(run.done) of \(takes) takes") }
        ours.append(run.user / Double(takes))
        anchors.append(anchor.full / Double(takes))
        walls.append(run.wall)
        ratios.append(run.user / anchor.full)
        encodeOnlyRatios.append(run.user / anchor.encodeOnly)
    }
    let wall = Measure.median(walls)
    report("reprocess CPU (user) per 5-minute take, batch of \(takes), 2 at a time",
           ours: "\(String(format3: Measure.median(ours))) s per take; \(String(format3: Double(takes) / wall * 60)) takes/min, \(String(format3: Double(takes) * 300 / wall))× real time",
           anchor: "decode FLAC + analysis + libopus (encode, decode back) + measuring it, alone \(String(format3: Measure.median(anchors))) s per take; "
               + "against encoding alone \(String(format3: Measure.median(encodeOnlyRatios)))×",
           figure: Measure.median(ratios), threshold: reprocessRatioThreshold, higherIsBetter: false)
    _ = system("rm -rf '\(vaultDirectory)' '\(master)'")
}

// 4. Sweep planning over a catalog of a million takes.
if wanted("sweep") {
let sweepPlan = try await SweepPlanBenchmark.run(vaultDirectory: scratch + "/sweep-vault", takes: 1_000_000)
report("sweep planning, 1,000,000 takes", ours: "\(String(format3: sweepPlan.seconds)) s for \(sweepPlan.due) due takes",
       anchor: "(absolute: the issue's 2 s)", figure: sweepPlan.seconds, threshold: sweepPlanSeconds, higherIsBetter: false)
_ = system("rm -rf '\(scratch)/sweep-vault'")
}

// 4b. Delivery through the relay against restore; 32 concurrent range readers.
if wanted("delivery") {
    if access(fiveMinutes, F_OK) != 0 { SyntheticTake.write(fiveMinutes, seconds: 300) }
    let delivery = try await DeliveryBenchmark.run(take: fiveMinutes, scratch: scratch, takevault: takevault, rounds: ratioRounds)
    report("serve the master through the relay (local store) vs restore to a file",
           ours: "fetch \(String(format3: delivery.fetchMBps)) MB/s", anchor: "restore \(String(format3: delivery.restoreMBps)) MB/s",
           figure: delivery.fetchMBps / delivery.restoreMBps, threshold: deliveryRatioThreshold, higherIsBetter: true)
    let growth = delivery.serverRSSPeak - delivery.serverRSSBefore
    print("32 concurrent range readers: \(delivery.rangeRequests) requests, \(delivery.rangeErrors) errors, \(String(format3: delivery.rangeMBps)) MB/s; "
          + "server peak RSS \(delivery.serverRSSBefore / 1_048_576) → \(delivery.serverRSSPeak / 1_048_576) MiB")
    rows.append(("32 concurrent range readers (master, ≤ 1 MiB ranges)", "\(delivery.rangeRequests) requests, \(delivery.rangeErrors) errors, \(String(format3: delivery.rangeMBps)) MB/s",
                 "server peak RSS \(delivery.serverRSSBefore / 1_048_576) → \(delivery.serverRSSPeak / 1_048_576) MiB", "0 errors, growth ≤ \(deliveryRSSGrowthLimit / 1_048_576) MiB"))
    if delivery.rangeErrors > 0 { failures.append("FAIL: \(delivery.rangeErrors) of \(delivery.rangeRequests) range requests failed") }
    if growth > deliveryRSSGrowthLimit { failures.append("FAIL: the server's peak RSS grew \(growth / 1_048_576) MiB under 32 range readers (limit \(deliveryRSSGrowthLimit / 1_048_576))") }
}

// 4c. Delivery from an S3 store (the TAKEVAULT_TEST_S3_* server scripts/bench.sh starts) against
// aws s3 cp of the same sealed bytes.
if wanted("s3-delivery"), let endpoint = getenv("TAKEVAULT_TEST_S3_ENDPOINT") {
    var server: [String: String] = ["TAKEVAULT_TEST_S3_ENDPOINT": String(cString: endpoint)]
    for name in ["TAKEVAULT_TEST_S3_BUCKET", "TAKEVAULT_TEST_S3_ACCESS_KEY", "TAKEVAULT_TEST_S3_SECRET_KEY"] { server[name] = getenv(name).map { String(cString: $0) } }
    if access(fiveMinutes, F_OK) != 0 { SyntheticTake.write(fiveMinutes, seconds: 300) }
    let delivery = try await S3DeliveryBenchmark.run(server: server, take: fiveMinutes, scratch: scratch, takevault: takevault, rounds: s3DeliveryRounds)
    // Against the whole `aws s3 cp` command the figure measures Python's start-up (about a second
    // here, more than moving a 5-minute master), so the gate holds fetch to the command's transfer
    // engine timed inside its process; the command's rate is printed beside it.
    report("serve the master through the relay (SeaweedFS store) vs aws s3 cp's engine on the same sealed bytes",
           ours: "served \(String(format3: delivery.serveMBps)) MB/s to a plain client (\(delivery.masterBytes / 1_000_000) MB); "
               + "takevault fetch, checking its SHA-256, \(String(format3: delivery.fetchMBps)) MB/s (\(String(format3: delivery.fetchMBps / delivery.engineMBps))×)",
           anchor: "engine \(String(format3: delivery.engineMBps)) MB/s in-process; the aws s3 cp command \(String(format3: delivery.awsMBps)) MB/s "
               + "(\(String(format3: delivery.fetchMBps / delivery.awsMBps))×)",
           figure: delivery.engineRatio, threshold: s3DeliveryRatioThreshold, higherIsBetter: true)
} else if only == "s3-delivery" {
    failures.append("FAIL: no S3 server for the delivery benchmark (TAKEVAULT_TEST_S3_ENDPOINT unset; scripts/bench.sh starts one)")
}

// 5. S3 (SeaweedFS) against the local store and aws s3 cp; needs the TAKEVAULT_TEST_S3_* server that
// scripts/bench.sh starts. Reported, not gated.
var s3Rows: [(String, String, String)] = []
if wanted("s3"), !gate, let endpoint = getenv("TAKEVAULT_TEST_S3_ENDPOINT") {
    var server: [String: String] = ["TAKEVAULT_TEST_S3_ENDPOINT": String(cString: endpoint)]
    for name in ["TAKEVAULT_TEST_S3_BUCKET", "TAKEVAULT_TEST_S3_ACCESS_KEY", "TAKEVAULT_TEST_S3_SECRET_KEY"] { server[name] = getenv(name).map { String(cString: $0) } }
    if access(fiveMinutes, F_OK) != 0 { SyntheticTake.write(fiveMinutes, seconds: 300) }
    let s3 = try await S3TransferBenchmark.run(server: server, scratch: scratch, take: fiveMinutes)
    s3Rows = [
        ("put 64 × 4 MiB chunks, 8 at a time", "S3Store → SeaweedFS \(String(format3: s3.chunkPutMBps)) MB/s", "LocalStore (fsync) \(String(format3: s3.localPutMBps)) MB/s"),
        ("get 64 × 4 MiB chunks, 8 at a time", "S3Store ← SeaweedFS \(String(format3: s3.chunkGetMBps)) MB/s", "LocalStore \(String(format3: s3.localGetMBps)) MB/s"),
        ("upload one 256 MiB file (multipart)", "S3Store \(String(format3: s3.fileUploadMBps)) MB/s", "aws s3 cp \(String(format3: s3.awsUploadMBps)) MB/s"),
        ("download one 256 MiB file (streamed)", "S3Store \(String(format3: s3.fileDownloadMBps)) MB/s", "aws s3 cp \(String(format3: s3.awsDownloadMBps)) MB/s"),
        ("ingest a 5-minute 48 kHz/24-bit stereo take (wall)", "to SeaweedFS \(String(format3: s3.ingestS3Seconds)) s", "to LocalStore \(String(format3: s3.ingestLocalSeconds)) s"),
    ]
    for row in s3Rows { print("\(row.0): \(row.1); \(row.2)") }
}

if let markdownPath {
    var text = ""
    if !rows.isEmpty {
        text += "\n## Pipeline\n\nWritten by `scripts/bench.sh` (`takevault-pipeline-bench`). CPU time is user + system of the process, all threads.\n\n"
        text += "| benchmark | takevault | anchor (same run) | figure (threshold) |\n|---|---|---|---|\n"
        for row in rows { text += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
    }
    if !s3Rows.isEmpty {
        text += "\n## S3 store (SeaweedFS on loopback)\n\nReported, not gated: on loopback these figures are this machine's disk and SeaweedFS as much as takevault, and LocalStore reads come from the page cache. "
        text += "Same run, same server, same file for S3Store and `aws s3 cp` (awscli).\n\n"
        text += "| transfer | takevault | anchor (same run) |\n|---|---|---|\n"
        for row in s3Rows { text += "| \(row.0) | \(row.1) | \(row.2) |\n" }
    }
    let file = fopen(markdownPath, "a")
    fputs(text, file)
    fclose(file)
}

for failure in failures { print(failure) }
exit(failures.isEmpty ? 0 : 1)

extension String {
    init(format3 value: Double) {
        let rounded = (value * 1_000).rounded() / 1_000
        self = String(rounded)
    }
}
