// Speed ratios of takevault's DSP against the reference C libraries, measured in one run on the
// same 5-minute 48 kHz stereo programme (cycled from a cache-resident ring, see Programme.swift): each round times ours and the anchor back to back
// (alternating which goes first), and the median of the per-round ratios is reported, so machine
// load that drifts during the run affects both sides of each ratio alike.
//
// Usage: takevault-ratios [--rounds N] [--markdown FILE] [--handicap WORKLOAD-PREFIX=FACTOR]
// Exit status 1 when a ratio is below its threshold (the message names it and both numbers).
// --handicap runs our side of the matching workload FACTOR times per round: a deliberately slowed
// kernel, to show that the gate trips (documented in docs/BENCHMARKS.md).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

var rounds = 7
/// The least time one measurement of either side covers (see `time` below).
let minimumTiming = 0.25
var markdownPath: String?
var handicap: (prefix: String, factor: Int)?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--rounds": rounds = Int(arguments.next() ?? "") ?? rounds
    case "--markdown": markdownPath = arguments.next()
    case "--handicap":
        let parts = (arguments.next() ?? "").split(separator: "=")
        guard parts.count == 2, let factor = Int(parts[1]), factor > 0 else { print("--handicap WORKLOAD-PREFIX=FACTOR"); exit(2) }
        handicap = (String(parts[0]), factor)
    default:
        print("usage: takevault-ratios [--rounds N] [--markdown FILE] [--handicap WORKLOAD-PREFIX=FACTOR]")
        exit(2)
    }
}

let buffer = BenchmarkBuffer()
let audioSeconds = Double(buffer.frames) / Double(buffer.rate)
var sink = 0.0
var rows: [(workload: Workload, ours: Double, anchor: Double, ratio: Double)] = []
var failed = false

for workload in Workloads.all {
    let repeats = handicap.map { workload.name.hasPrefix($0.prefix) ? $0.factor : 1 } ?? 1
    var ratios: [Double] = [], oursTimes: [Double] = [], anchorTimes: [Double] = []
    for round in 0..<rounds {
        // Seconds per pass, over passes repeated for at least `minimumTiming`: a fast kernel's single
        // pass (30 ms for loudness alone) is short enough for one preemption on a shared machine to
        // halve its figure, which a quarter of a second of passes averages out.
        func time(_ body: (BenchmarkBuffer) -> Double) -> Double {
            var passes = 0
            let start = now()
            repeat {
                sink += body(buffer)
                passes += 1
            } while now() - start < minimumTiming
            return (now() - start) / Double(passes)
        }
        let (ours, anchor): (Double, Double)
        let oursRepeated: (BenchmarkBuffer) -> Double = { buffer in (0..<repeats).reduce(0) { sum, _ in sum + workload.ours(buffer) } }
        if round % 2 == 0 {
            ours = time(oursRepeated); anchor = time(workload.anchor)
        } else {
            anchor = time(workload.anchor); ours = time(oursRepeated)
        }
        oursTimes.append(ours)
        anchorTimes.append(anchor)
        ratios.append(anchor / ours)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let row = (workload, median(oursTimes), median(anchorTimes), median(ratios))
    rows.append(row)
    let verdict = row.3 >= workload.threshold ? "ok" : "BELOW THRESHOLD"
    print("\(workload.name): ours \(format(audioSeconds / row.1))× real time, \(workload.anchorName) \(format(audioSeconds / row.2))× real time, ratio \(format(row.3)) (threshold \(String(workload.threshold))) \(verdict)")
    if row.3 < workload.threshold {
        failed = true
        print("FAIL: \(workload.name): ratio \(format(row.3)) is below its threshold \(String(workload.threshold)) (ours \(format(row.1 * 1000)) ms, \(workload.anchorName) \(format(row.2 * 1000)) ms)")
    }
}

func format(_ value: Double) -> String {
    // Two decimals below 1 (ratios near a floor), one above.
    let scale = value < 1 ? 100.0 : 10.0
    let rounded = (value * scale).rounded() / scale
    return rounded >= 100 ? String(Int(rounded)) : String(rounded)
}

if let markdownPath {
    var uname = utsname()
    _ = uname_hostless(&uname)
    var text = """
        # Benchmarks

        Written by `scripts/bench.sh` (release build, `takevault-ratios --rounds \(rounds) --markdown docs/BENCHMARKS.md`).
        Each figure is the median of \(rounds) rounds on the same 5-minute 48 kHz stereo programme (blocks cycled from a
        5.5-second ring that stays in cache, as a block straight from the decoder does); in every round ours and
        the anchor run back to back, alternating which goes first, so drift on a shared machine touches both sides.
        Speeds are multiples of real time (\(Int(audioSeconds)) s of audio ÷ wall time); the ratio is anchor time ÷ our time.

        | workload | ours (× real time) | anchor | anchor (× real time) | ratio | threshold |
        |---|---|---|---|---|---|

        """
    for row in rows {
        text += "| \(row.workload.name) | \(format(audioSeconds / row.ours)) | \(row.workload.anchorName) | \(format(audioSeconds / row.anchor)) | \(format(row.ratio)) | ≥ \(String(row.workload.threshold)) |\n"
    }
    text += "\nMachine: \(machineDescription())\n"
    let file = fopen(markdownPath, "w")
    fputs(text, file)
    fclose(file)
}

func uname_hostless(_ value: inout utsname) -> Int32 { uname(&value) }

func machineDescription() -> String {
    var cpu = "unknown CPU"
    if let file = fopen("/proc/cpuinfo", "r") {
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, 512, file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("model name") {
                cpu = String(text.split(separator: ":", maxSplits: 1).last ?? "").trimmingSpaces()
                break
            }
        }
        fclose(file)
    }
    return "\(cpu), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores"
}

extension String {
    func trimmingSpaces() -> String { String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " || $0 == "\n" }).reversed()) }
}

if sink.isNaN { print("") }  // keep the results alive
exit(failed ? 1 : 0)
