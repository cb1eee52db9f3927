import AudioTestSupport
import Foundation
@testable import TakePipeline
import Testing
import TestSupport

/// Several `takevault` processes at once on one vault, running random operations — ingest and
/// re-ingest, reprocess, tier changes, holds and lifts, restriction and its lift, erasure, sweeps
/// with an advancing clock, key rotation, catalog rebuild — some of them killed with SIGKILL where
/// they stop at a named point (armed failpoints, so every kill lands inside the operation), for a
/// fixed budget. After quiescence the privacy policy's and the archive's invariants are checked.
///
/// The schedule comes from a seed printed first (`TAKEVAULT_TORTURE_SEED` replays it);
/// `TAKEVAULT_TORTURE_SECONDS` sets the budget (CI: a short one; `scripts/torture.sh` for long runs).
/// Tiers are pro and studio and sweeps look at most 25 days ahead, so no acknowledged take's window
/// ends inside the run: every take acknowledged to an owner not erased must still restore.
@Suite("Concurrency torture", .serialized)
struct ConcurrencyTortureTests {
    static func environmentValue(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
    static var budget: Double { environmentValue("TAKEVAULT_TORTURE_SECONDS").flatMap(Double.init) ?? 40 }
    static var seed: UInt64 { environmentValue("TAKEVAULT_TORTURE_SEED").flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max) }

    @Test("random operations side by side with kill -9 at named points, on a local vault: every invariant holds", .timeLimit(.minutes(15)))
    func localVault() async throws {
        var torture = Torture(seed: Self.seed, budget: Self.budget, environment: [:], store: nil)
        try await torture.run()
    }

    @Test("the same on S3 (SeaweedFS), for a shorter budget", .timeLimit(.minutes(15)),
          .enabled(if: S3TestServer.current != nil, "no S3 test server (scripts/test.sh starts one)"))
    func s3Vault() async throws {
        let server = S3TestServer.current!
        var torture = Torture(seed: Self.seed, budget: Self.budget / 2, environment: server.environment(),
                              store: "s3://\(server.bucket)/\(S3TestServer.freshPrefix("torture"))")
        try await torture.run()
    }
}

/// One torture run: its schedule, the processes in flight, and what was acknowledged.
struct Torture {
    let seed: UInt64
    let budget: Double
    let environment: [String: String]
    let store: String?
    let directory = TestDirectory()
    var vault: String { directory.file("vault") }
    var random: SplitMix64

    static let owners = ["o1", "o2", "o3", "o4"]
    /// Owners that may be erased (once each); the others stay to the end.
    static let erasable: Set<String> = ["o3", "o4"]
    static let concurrency = 3

    init(seed: UInt64, budget: Double, environment: [String: String], store: String?) {
        self.seed = seed
        self.budget = budget
        self.environment = environment
        self.store = store
        random = SplitMix64(seed: seed)
    }

    /// An operation: its arguments, the named points it may be killed at, and the exit codes it
    /// may end with in a healthy vault (0; 3 for what the policy refuses: a restricted owner's
    /// ingest, an erasure under a hold; 2 for an owner operation on an owner not created yet).
    struct Operation {
        var name: String
        var arguments: [String]
        var killPoints: [String] = []
        var allowed: Set<Int32> = [0]
        var owner: String?
        var file: String?
        /// The take a delete or an amend names.
        var take: String?
    }

    /// A process in flight.
    struct Running {
        var pid: pid_t
        var operation: Operation
        var armed: String?
        var output: String
        var started: Int
    }

    /// An ingest that exited 0: the take it acknowledged.
    struct Acknowledged {
        var take: String
        var owner: String
        var file: String
        var started: Int
        var finished: Int
    }

    var files: [String] = []
    var sequence = 0
    var retired: Set<String> = []
    var erasures: [(owner: String, started: Int, finished: Int, status: Int32?)] = []
    /// Deletions that exited 0, with the take and when they started and ended.
    var deletions: [(take: String, owner: String, file: String, started: Int, finished: Int)] = []
    /// When each ingest of an owner's file ended (one still running after a deletion began may
    /// make the deleted take again), by the process's start.
    var ingestEnds: [String: [Int: Int]] = [:]
    var acknowledged: [Acknowledged] = []
    var problems: [String] = []
    var counts: [String: Int] = [:]
    var kills: [String: Int] = [:]
    var rotationKilled = false

    mutating func run() async throws {
        print("torture seed: \(seed) (TAKEVAULT_TORTURE_SEED=\(seed) replays it), budget \(budget) s, store \(store ?? "local")")
        var initArguments = ["init", "--vault", vault]
        if let store { initArguments += ["--store", store] }
        #expect(takevault(initArguments).status == 0)
        for index in 0..<8 {
            let file = directory.file("take-\(index).wav")
            writeWAV(file, channels: toneChannels(2, frames: 48_000, bits: 16, seed: UInt64(100 + index)), bits: 16)
            files.append(file)
        }

        let deadline = Date().addingTimeInterval(budget)
        var running: [Running] = []
        while Date() < deadline || !running.isEmpty {
            while Date() < deadline && running.count < Self.concurrency {
                running.append(start(nextOperation()))
            }
            var index = 0
            while index < running.count {
                if let status = poll(&running[index]) {
                    finish(running.remove(at: index), status: status)
                } else {
                    index += 1
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await quiesceAndCheck()
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let killed = kills.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("torture seed \(seed): \(counts.values.reduce(0, +)) operations (\(summary)); killed at: \(killed); \(acknowledged.count) takes acknowledged")
        for problem in problems { Issue.record("seed \(seed): \(problem)") }
    }

    // MARK: The schedule

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }

    mutating func nextOperation() -> Operation {
        let live = Self.owners.filter { !retired.contains($0) }
        let owner = pick(live)
        let roll = Int(random.next() % 108)
        let victims = acknowledged.filter { !retired.contains($0.owner) }
        switch roll {
        case 0..<34:
            let file = pick(files)
            return Operation(name: "ingest", arguments: ["ingest", "--vault", vault, "--owner", owner, "--tier", pick(["pro", "studio"]), "--json", file],
                             killPoints: ["ingest.locked", "ingest.sealed", "ingest.committed"], allowed: [0, 3], owner: owner, file: file)
        case 34..<44:
            return Operation(name: "reprocess", arguments: ["reprocess", "--vault", vault, "--owner", owner, "--target-lufs", pick(["-14", "-16", "-18", "-20"])],
                             killPoints: ["reprocess.sealed", "reprocess.committed"], allowed: [0, 3], owner: owner)
        case 44..<52:
            return Operation(name: "tier", arguments: ["owner", "tier", owner, pick(["pro", "studio"]), "--vault", vault], allowed: [0, 2, 3], owner: owner)
        case 52..<58:
            return Operation(name: "hold", arguments: ["owner", "hold", owner, "--reason", "inquiry", "--vault", vault], allowed: [0, 2, 3], owner: owner)
        case 58..<64:
            return Operation(name: "lift-hold", arguments: ["owner", "hold", owner, "--lift", "--vault", vault], allowed: [0, 2, 3], owner: owner)
        case 64..<69:
            return Operation(name: "restrict", arguments: ["owner", "restrict", owner, "--vault", vault], allowed: [0, 2, 3], owner: owner)
        case 69..<75:
            return Operation(name: "lift-restriction", arguments: ["owner", "restrict", owner, "--lift", "--vault", vault], allowed: [0, 2, 3], owner: owner)
        case 75..<87:
            let days = 2 + Int(random.next() % 24)
            return Operation(name: "sweep", arguments: ["sweep", "--vault", vault, "--as-of", Self.daysFromNow(Double(days))], killPoints: ["sweep.step-applied"])
        case 87..<92:
            return Operation(name: "rotate", arguments: ["keys", "rotate", "--vault", vault], killPoints: ["rotation.key-written", "rotation.rewrapped"])
        case 92..<96:
            return Operation(name: "rebuild", arguments: ["catalog", "rebuild", "--vault", vault])
        case 96..<100 where !victims.isEmpty:
            let victim = pick(victims)
            return Operation(name: "delete", arguments: ["delete", "--vault", vault, "--take", victim.take], killPoints: ["deletion.locked"],
                             allowed: [0, 2, 3], owner: victim.owner, file: victim.file, take: victim.take)
        case 100..<104 where !victims.isEmpty:
            let victim = pick(victims)
            let meta = #"{"participants": [{"id": "p\#(sequence)", "role": "amended"}]}"#
            return Operation(name: "amend", arguments: ["amend", victim.take, "--vault", vault, "--meta", meta], allowed: [0, 2], owner: victim.owner, take: victim.take)
        case 96..<104:
            return Operation(name: "verify", arguments: ["verify", "--vault", vault], allowed: [0, 4])
        default:
            let candidates = live.filter { Self.erasable.contains($0) }
            guard !candidates.isEmpty else { return Operation(name: "verify", arguments: ["verify", "--vault", vault], allowed: [0, 4]) }
            let victim = pick(candidates)
            retired.insert(victim)   // nothing new is started for an owner being erased
            return Operation(name: "erase", arguments: ["owner", "erase", victim, "--vault", vault],
                             killPoints: ["erasure.shredded", "erasure.objects-deleted"], allowed: [0, 2, 3], owner: victim)
        }
    }

    static func daysFromNow(_ days: Double) -> String {
        ISO8601DateFormatter().string(from: Date().addingTimeInterval(days * 86_400))
    }

    // MARK: Processes

    mutating func start(_ operation: Operation) -> Running {
        sequence += 1
        counts[operation.name, default: 0] += 1
        var variables = environment
        var armed: String?
        if !operation.killPoints.isEmpty, random.next() % 100 < 35 {
            armed = pick(operation.killPoints)
            variables["TAKEVAULT_TEST_STOP_AT"] = armed
        }
        let output = directory.file("op-\(sequence).out")
        let pid = startProcess(CLI.binary, operation.arguments, outputPath: output, errorPath: output + ".err", environment: variables)
        if operation.name == "erase", let owner = operation.owner { erasures.append((owner, sequence, Int.max, nil)) }
        if operation.name == "ingest", let owner = operation.owner, let file = operation.file { ingestEnds[owner + "/" + file, default: [:]][sequence] = Int.max }
        return Running(pid: pid, operation: operation, armed: armed, output: output, started: sequence)
    }

    /// The process's exit status once it has ended (128 + signal when killed); `nil` while it runs.
    /// A process stopped at its armed point is killed there.
    mutating func poll(_ process: inout Running) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(process.pid, &status, WNOHANG | WUNTRACED)
        guard result == process.pid else { return nil }
        if status & 0xff == 0x7f {
            kill(process.pid, SIGKILL)
            kills[process.armed ?? "?", default: 0] += 1
            if process.operation.name == "rotate" { rotationKilled = true }
            _ = waitForExit(process.pid)
            return 128 + SIGKILL
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    mutating func finish(_ process: Running, status: Int32) {
        sequence += 1
        let operation = process.operation
        if let index = erasures.lastIndex(where: { $0.owner == operation.owner && $0.started == process.started }) {
            erasures[index].finished = sequence
            erasures[index].status = status
        }
        if status == 128 + SIGKILL { return }
        guard operation.allowed.contains(status) else {
            let error = (try? String(contentsOfFile: process.output + ".err", encoding: .utf8)) ?? ""
            problems.append("\(operation.arguments.joined(separator: " ")) exited \(status): \(error.suffix(600))")
            return
        }
        if operation.name == "ingest", let owner = operation.owner, let file = operation.file { ingestEnds[owner + "/" + file]?[process.started] = sequence }
        if operation.name == "delete", status == 0, let take = operation.take, let owner = operation.owner, let file = operation.file {
            deletions.append((take, owner, file, process.started, sequence))
        }
        if operation.name == "ingest", status == 0, let owner = operation.owner, let file = operation.file {
            guard let data = FileManager.default.contents(atPath: process.output),
                  let result = try? JSONDecoder().decode(IngestResult.self, from: data) else {
                problems.append("ingest of \(file) for \(owner) exited 0 without its JSON result")
                return
            }
            acknowledged.append(Acknowledged(take: result.takeID, owner: owner, file: file, started: process.started, finished: sequence))
        }
    }

    func takevault(_ arguments: [String]) -> ProcessResult {
        TestSupport.run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments)
    }

    // MARK: Invariants

    mutating func quiesceAndCheck() async throws {
        // Finish what kills interrupted, as an operator would: a rotation is rerun, an erasure is
        // asked again (the owner's keys may already be gone: then it says so, exit 3).
        if rotationKilled { expectSuccess(["keys", "rotate", "--vault", vault]) }
        for erasure in erasures where erasure.status == 128 + SIGKILL {
            let again = takevault(["owner", "erase", erasure.owner, "--vault", vault])
            if ![0, 3].contains(again.status) { problems.append("erasing \(erasure.owner) again exited \(again.status): \(again.standardError.suffix(400))") }
        }
        expectSuccess(["catalog", "rebuild", "--vault", vault])
        // Holds and restrictions keep even orphaned chunks: lifted, so the last sweep owes nothing.
        for owner in Self.owners {
            for arguments in [["owner", "hold", owner, "--lift", "--vault", vault], ["owner", "restrict", owner, "--lift", "--vault", vault]] {
                let lifted = takevault(arguments)
                if ![0, 2, 3].contains(lifted.status) { problems.append("\(arguments.joined(separator: " ")) exited \(lifted.status): \(lifted.standardError.suffix(400))") }
            }
        }
        // Past every orphan's grace period, before any acknowledged take's window ends.
        expectSuccess(["sweep", "--vault", vault, "--as-of", Self.daysFromNow(26)])

        let listed = try JSONDecoder().decode([TakeSummary].self, from: Data(takevault(["ls", "--vault", vault, "--json"]).standardOutput.utf8))
        let present = Set(listed.map(\.takeId))
        var checked = Set<String>()
        for ack in acknowledged where !checked.contains(ack.take) {
            // An erasure that ended (or was killed) after the acknowledgement may have taken the
            // take; one that ended before it means the ingest made the owner anew.
            let mayBeErased = erasures.contains { $0.owner == ack.owner && $0.status != 2 && $0.status != 3 && $0.finished > ack.finished }
            if mayBeErased { continue }
            // A deletion that ended after this ingest began may have taken it (one that ended
            // before it began was followed by this ingest, which made the take again).
            if deletions.contains(where: { $0.take == ack.take && $0.finished > ack.started }) { continue }
            checked.insert(ack.take)
            guard present.contains(ack.take) else {
                problems.append("take \(ack.take) of \(ack.owner) (\(ack.file)) was acknowledged and is gone")
                continue
            }
            let restored = directory.file("restored-\(ack.take).flac")
            let result = takevault(["restore", "--vault", vault, ack.take, "-o", restored])
            if result.status != 0 {
                problems.append("restore \(ack.take) exited \(result.status): \(result.standardError.suffix(400))")
            } else if try flacSamples(restored) != integerSamples(ack.file) {
                problems.append("take \(ack.take) restores other samples than \(ack.file)")
            }
        }

        // A deleted take stays deleted unless an ingest of the same audio for the owner was still
        // running when the deletion began (it may have made it again, acknowledged or killed after its commit).
        for deletion in deletions where !(ingestEnds[deletion.owner + "/" + deletion.file] ?? [:]).values.contains(where: { $0 > deletion.started }) {
            if present.contains(deletion.take) { problems.append("take \(deletion.take) was deleted and is listed again") }
        }

        let opened = try Vault.open(at: vault, environment: environment)
        for erasure in erasures where erasure.status == 0 || erasure.status == 128 + SIGKILL {
            // An owner an ingest created again after the erasure ended is a new owner: not checked.
            if acknowledged.contains(where: { $0.owner == erasure.owner && $0.finished > erasure.finished }) { continue }
            if try await opened.catalog.owner(erasure.owner).map({ $0.erasedAt == nil }) == true, erasure.status == 128 + SIGKILL {
                continue   // killed before it took effect, and refused since (held): not erased
            }
            let objects = try await opened.store.list(prefix: "v1/owners/\(erasure.owner)/").map(\.name)
            if !objects.isEmpty { problems.append("erased owner \(erasure.owner) still has \(objects.count) objects, e.g. \(objects[0])") }
            if try await !opened.catalog.jobIDs(owner: erasure.owner).isEmpty { problems.append("erased owner \(erasure.owner) still has relay jobs") }
            if !Quarantine(vault: opened).folders(owner: erasure.owner).isEmpty { problems.append("erased owner \(erasure.owner) still has quarantined uploads") }
            if listed.contains(where: { $0.owner == erasure.owner }) { problems.append("erased owner \(erasure.owner) still has takes listed") }
        }

        let verify = takevault(["verify", "--vault", vault, "--read-data", "--json"])
        if let report = try? JSONDecoder().decode(Verify.Report.self, from: Data(verify.standardOutput.utf8)) {
            for failure in report.failures { problems.append("verify: \(failure.object): \(failure.code) \(failure.message)") }
            if !report.orphans.isEmpty { problems.append("verify: \(report.orphans.count) orphan chunks left after a sweep past the grace period") }
        } else {
            problems.append("verify exited \(verify.status) without a report: \(verify.standardError.suffix(400))")
        }
    }

    mutating func expectSuccess(_ arguments: [String]) {
        let result = takevault(arguments)
        if result.status != 0 { problems.append("\(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError.suffix(400))") }
    }
}
