import AudioTestSupport
import Foundation
import RelayAPI
import TakeArchive
import TakePipeline
import Testing
import TestSupport

/// The vault commands end to end, through the binary: init, ingest, ls, inspect, restore, verify,
/// catalog rebuild — and what a SIGKILL at any moment of an ingest leaves behind.
@Suite("takevault vault commands")
struct VaultCommandTests {
    static func makeVault(_ directory: TestDirectory) -> String {
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        return vault
    }

    @Test("a manifest copied over another take's, or a newer generation removed, is caught: restore and verify refuse, the sweep leaves the owner alone")
    func manifestsBoundToNames() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        let first = directory.file("a.wav"), second = directory.file("b.wav")
        writeWAV(first, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 11), bits: 16)
        writeWAV(second, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 12), bits: 16)
        let a = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", "--json", first)).takeID
        let b = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", "--json", second)).takeID
        // Object names as FORMAT.md §2 gives them.
        func name(_ take: String, _ generation: Int) -> String { "v1/owners/u1/takes/\(take)/manifest-00000\(generation)" }
        func manifest(_ take: String, _ generation: Int) -> String { vault + "/store/" + name(take, generation) }

        // A writer to the bucket, without keys, puts take A's manifest under take B's name.
        let originalB = readBytes(manifest(b, 1))
        writeBytes(manifest(b, 1), readBytes(manifest(a, 1)))
        let restored = directory.file("b.flac")
        #expect(CLI.run("restore", "--vault", vault, b, "-o", restored).status == 4, "never A's audio as B's")
        let swapped = try CLI.decode(Verify.Report.self, CLI.run("verify", "--vault", vault, "--read-data", "--json"))
        #expect(swapped.failures.map(\.object) == [name(b, 1)])
        let sweep = try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--as-of", ConcurrentOperationTests.daysFromNow(3), "--json"))
        #expect(sweep.skipped.map(\.owner) == ["u1"] && sweep.deleted.allSatisfy { $0.owner != "u1" }, "B's chunks are not taken for orphans")
        writeBytes(manifest(b, 1), originalB)
        #expect(CLI.run("restore", "--vault", vault, b, "-o", restored).status == 0)

        // Rolled back: generation 2 removed and generation 1 put back as it was.
        let generationOne = readBytes(manifest(a, 1))
        #expect(CLI.run("reprocess", "--vault", vault, "--take", a, "--target-lufs", "-20").status == 0)
        #expect(FileManager.default.fileExists(atPath: manifest(a, 2)) && !FileManager.default.fileExists(atPath: manifest(a, 1)))
        let generationTwo = readBytes(manifest(a, 2))
        // Generation 1's bytes under generation 2's name do not open.
        writeBytes(manifest(a, 2), generationOne)
        #expect(CLI.run("restore", "--vault", vault, a, "--artefact", "preview", "-o", directory.file("p.opus")).status == 4)
        writeBytes(manifest(a, 2), generationTwo)
        // Generation 2 deleted and generation 1 back under its own name: it opens, and verify says rolled back.
        #expect(unlink(manifest(a, 2)) == 0)
        writeBytes(manifest(a, 1), generationOne)
        let rolledBack = try CLI.decode(Verify.Report.self, CLI.run("verify", "--vault", vault, "--json"))
        // (Generation 1's own preview chunks went with it when generation 2 replaced it: missing too.)
        #expect(rolledBack.failures.first?.code == "manifest_rollback" && rolledBack.failures.first?.object == name(a, 1))
    }

    @Test("catalog deleted and rebuilt: restrictions, holds and tiers come back from the store, and the sweep keeps what they protect")
    func rebuildKeepsPolicy() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        var takes: [String: String] = [:]
        for (index, owner) in ["rita", "hank", "fred"].enumerated() {
            let file = directory.file("\(owner).wav")
            writeWAV(file, channels: toneChannels(2, frames: 48_000, bits: 16, seed: UInt64(30 + index)), bits: 16)
            takes[owner] = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", "free", "--json", file)).takeID
        }
        #expect(CLI.run("owner", "restrict", "rita", "--vault", vault).status == 0)
        #expect(CLI.run("owner", "hold", "hank", "--reason", "inquiry", "--vault", vault).status == 0)
        for suffix in ["", "-wal", "-shm"] { unlink(vault + "/catalog.sqlite" + suffix) }
        let rebuilt = try CLI.decode(CatalogRebuild.Summary.self, CLI.run("catalog", "rebuild", "--vault", vault, "--json"))
        #expect(rebuilt.owners == 3 && rebuilt.takes == 3 && rebuilt.policies == 3)
        let sweep = try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--as-of", ConcurrentOperationTests.daysFromNow(30), "--json"))
        #expect(sweep.deleted.filter { $0.kind == .take }.map(\.id) == [takes["fred"]!], "only the owner neither restricted nor held loses the expired take")
        #expect(Set(sweep.kept.filter { $0.kind == .take }.map(\.reason)) == ["owner restricted", "held"])
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "rita", "--tier", "free", directory.file("rita.wav")).status == 3, "still restricted")
    }

    @Test("rebuild indexes everything that opens, names what does not (a damaged manifest, a damaged policy) and exits 4")
    func rebuildSkipsDamage() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        var takes: [String: String] = [:]
        for (index, owner) in ["rita", "hank", "fred"].enumerated() {
            let file = directory.file("\(owner).wav")
            writeWAV(file, channels: toneChannels(2, frames: 48_000, bits: 16, seed: UInt64(40 + index)), bits: 16)
            takes[owner] = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", "pro", "--json", file)).takeID
        }
        func flip(_ name: String, at offset: Int) {
            var bytes = readBytes(vault + "/store/" + name)
            bytes[bytes.count + offset] ^= 0x01
            writeBytes(vault + "/store/" + name, bytes)
        }
        let manifest = ObjectNames.manifest(owner: "rita", take: takes["rita"]!, generation: 1)
        let policy = ObjectNames.policy(owner: "hank", version: 1)
        flip(manifest, at: -5)
        flip(policy, at: -5)
        for suffix in ["", "-wal", "-shm"] { unlink(vault + "/catalog.sqlite" + suffix) }
        let run = CLI.run("catalog", "rebuild", "--vault", vault, "--json")
        #expect(run.status == 4, "\(run.standardError)")
        let rebuilt = try CLI.decode(CatalogRebuild.Summary.self, run)
        #expect(!rebuilt.ok && rebuilt.owners == 3 && rebuilt.takes == 2)
        #expect(Set(rebuilt.failures.map(\.object)) == [manifest, policy] && rebuilt.failures.allSatisfy { $0.code == "authentication_failed" },
                "\(rebuilt.failures)")
        let listed = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        #expect(Set(listed.map(\.takeId)) == [takes["hank"]!, takes["fred"]!])
        let text = CLI.run("catalog", "rebuild", "--vault", vault)
        #expect(text.status == 4 && text.standardError.contains(manifest) && text.standardError.contains(policy))
    }

    @Test("relay jobs: lists the queue as JSON; cancelling a job that is not there is exit 3 with its code")
    func relayJobsCommand() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        let listed = CLI.run("relay", "jobs", "--vault", vault, "--json")
        #expect(listed.status == 0)
        #expect(try CLI.decode([JobDocument].self, listed).isEmpty)
        let missing = CLI.run("relay", "jobs", "--vault", vault, "--cancel", "job_nope")
        #expect(missing.status == 3 && missing.standardError.contains("job_not_found"))
        #expect(CLI.run("relay", "jobs", "--vault", vault, "--state", "sleeping").status == 2)
    }

    @Test("init, ingest --json, ls, inspect, restore, verify: the contract's keys and exit codes")
    func lifecycle() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        #expect(CLI.run("init", "--vault", vault).status == 2)   // never overwrites a vault
        let ingest = CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "pro", "--json", CLI.samples + "/voice-take-48k16-mono.wav")
        #expect(ingest.status == 0, "\(ingest.standardError)")
        let result = try CLI.decode(IngestResult.self, ingest)
        #expect(result.owner == "u1" && result.tier == .pro && result.created && result.retainUntil != nil)
        let take = result.takeID
        let preview = try #require(result.preview)
        for key in ["gain_db", "limiter_engaged", "integrated_lufs", "true_peak_dbtp"] { #expect(preview[key] != nil, "missing preview.\(key)") }
        #expect(result.analysis["integrated_lufs"]?.doubleValue != nil)

        let list = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        #expect(list.map(\.takeId) == [take])
        #expect(CLI.run("inspect", "--vault", vault, take).standardOutput.contains("voice-take-48k16-mono.wav"))

        let restored = directory.file("restored.flac")
        #expect(CLI.run("restore", "--vault", vault, take, "--artefact", "master", "-o", restored).status == 0)
        #expect(run("flac", ["--test", "--silent", restored]).status == 0)
        #expect(CLI.run("restore", "--vault", vault, "0000000000000000000000000000000f", "-o", directory.file("x")).status == 2)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)

        // One flipped bit: verify and restore exit 4 and name the object.
        let chunks = run("/bin/sh", ["-c", "ls \(vault)/store/v1/owners/u1/chunks/"]).standardOutput.split(separator: "\n")
        let victim = "\(vault)/store/v1/owners/u1/chunks/\(chunks[0])"
        var bytes = readBytes(victim)
        bytes[10] ^= 0x80
        writeBytes(victim, bytes)
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 4)
        let failures = try CLI.decode(Verify.Report.self, verify).failures
        #expect(failures.contains { $0.object.hasSuffix(String(chunks[0])) })
        // The damaged chunk belongs to one of the four artefacts: restoring that one exits 4 naming it.
        let restores = ["master", "preview", "waveform", "report"].map { kind in
            CLI.run("restore", "--vault", vault, take, "--artefact", kind, "-o", directory.file("broken-\(kind)"))
        }
        let failed = restores.filter { $0.status != 0 }
        #expect(failed.count == 1)
        #expect(failed.first?.status == 4)
        #expect(failed.first?.standardError.contains(String(chunks[0])) == true)
    }

    @Test("a rejected file exits 3 and lands in quarantine; a bad tier or owner is a usage error")
    func rejections() {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        let junk = directory.write("junk.wav", bytes: Array("not audio".utf8))
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "free", junk).status == 3)
        #expect(!run("/bin/ls", [vault + "/quarantine"]).standardOutput.isEmpty)
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "gold", CLI.samples + "/keys-48k24-stereo.wav").status == 2)
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "../u1", "--tier", "free", CLI.samples + "/keys-48k24-stereo.wav").status == 2)
        #expect(CLI.run("ls", "--vault", directory.file("nowhere")).status == 1)
    }

    /// Kills ingests at the two points where a crash matters most (every chunk stored but no
    /// manifest; manifest committed but not catalogued) and at random moments, then checks every
    /// take is whole or absent, verify passes, re-ingest completes and the catalog matches the store.
    @Test("SIGKILL at any moment of an ingest leaves every take whole or absent", .timeLimit(.minutes(5)))
    func crashSafety() throws {
        let directory = TestDirectory()
        let vault = Self.makeVault(directory)
        // A new file each round, so every kill interrupts a first ingest (a repeat would return at once).
        let files = (0..<16).map { index -> String in
            let path = directory.file("take-\(index).wav")
            writeWAV(path, channels: toneChannels(2, frames: 72_000, bits: 24, seed: UInt64(index)), bits: 24)
            return path
        }
        let ingest = { (file: String) in ["ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--chunk-size", "65536", file] }
        // Frozen at a failpoint, then killed there: these kills land where they are meant to.
        for (index, point) in zip(0..<8, [String](repeating: "ingest.sealed", count: 4) + [String](repeating: "ingest.committed", count: 4)) {
            let pid = startProcess(CLI.binary, ingest(files[index]), outputPath: "/dev/null", environment: ["TAKEVAULT_TEST_STOP_AT": point])
            #expect(waitUntilStopped(pid) == .stopped, "ingest of \(files[index]) never reached \(point)")
            killProcess(pid)
        }
        // Anywhere else: killed after a random delay (where each lands is not asserted).
        var generator = SplitMix64(seed: 2026)
        for file in files[8...] {
            let pid = startProcess(CLI.binary, ingest(file))
            usleep(UInt32.random(in: 0...250_000, using: &generator))
            killProcess(pid)
        }
        // The kills did interrupt ingests mid-way: each leaves its work folder behind (a SIGKILL runs
        // no clean-up; the sweep removes old work folders).
        let interrupted = run("/bin/sh", ["-c", "ls \(vault)/work | wc -l"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(interrupted) ?? 0) >= 8, "the eight ingests killed at a failpoint each left their work folder")
        // Whatever the kills left: every manifest in the store is whole.
        let afterKills = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(afterKills.status == 0, "\(afterKills.standardOutput)")
        let report = try CLI.decode(Verify.Report.self, afterKills)
        #expect(report.uncatalogued.count >= 4, "killed after the commit: in the store, not yet in the catalog")
        #expect(!report.orphans.isEmpty, "killed before the commit: chunks no manifest references")
        // Re-ingest completes every take; the catalog then matches the store exactly.
        for file in files {
            #expect(CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--chunk-size", "65536", file).status == 0)
        }
        let final = try CLI.decode(Verify.Report.self, CLI.run("verify", "--vault", vault, "--read-data", "--json"))
        #expect(final.ok)
        #expect(final.uncatalogued.isEmpty)
        let listed = Set(try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).map(\.takeId))
        let stored = Set(run("/bin/sh", ["-c", "ls \(vault)/store/v1/owners/u1/takes/"]).standardOutput.split(separator: "\n").map(String.init))
        #expect(listed == stored)
        #expect(listed.count == files.count)
    }
}

/// Sweep, erase and key rotation killed at their failpoints and at random moments, then rerun: the
/// vault converges to the same end state — nothing deleted that should stay, nothing readable that
/// should be gone.
@Suite("takevault policy operations under SIGKILL")
struct PolicyCrashTests {
    @Test("kill -9 during rotate, sweep and erase, then rerun: the same end state", .timeLimit(.minutes(5)))
    func converges() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        // Twelve owners: free takes (expire), studio takes (stay), and one owner to erase.
        var studio: [String] = []
        for index in 0..<12 {
            let file = directory.file("take-\(index).wav")
            writeWAV(file, channels: toneChannels(1, frames: 48_000, bits: 16, seed: UInt64(index)), bits: 16)
            let tier = index % 3 == 0 ? "studio" : "free"
            let owner = index == 11 ? "gone" : "owner-\(index)"
            let result = CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", tier, "--chunk-size", "65536", "--json", file)
            #expect(result.status == 0)
            if tier == "studio", owner != "gone" { studio.append(try CLI.decode(IngestResult.self, result).takeID) }
        }
        var generator = SplitMix64(seed: 77)
        // Killed where each operation is half done (frozen at its failpoints first, which must be
        // reached), then at random moments.
        func killedRuns(_ arguments: [String], at points: [String], times: Int, within microseconds: UInt32) {
            for point in points {
                let pid = startProcess(CLI.binary, arguments, outputPath: "/dev/null", environment: ["TAKEVAULT_TEST_STOP_AT": point])
                #expect(waitUntilStopped(pid) == .stopped, "\(arguments[0]) never reached \(point)")
                killProcess(pid)
            }
            for _ in 0..<times {
                let pid = startProcess(CLI.binary, arguments)
                usleep(UInt32.random(in: 0...microseconds, using: &generator))
                killProcess(pid)
            }
        }
        killedRuns(["keys", "rotate", "--vault", vault], at: ["rotation.key-written", "rotation.rewrapped"], times: 6, within: 60_000)
        #expect(CLI.run("keys", "rotate", "--vault", vault).status == 0)
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(400 * 86_400))   // past every free window, relative to the run
        killedRuns(["sweep", "--vault", vault, "--as-of", future], at: ["sweep.step-applied"], times: 6, within: 150_000)
        #expect(CLI.run("sweep", "--vault", vault, "--as-of", future).status == 0)
        killedRuns(["owner", "erase", "--vault", vault, "gone"], at: ["erasure.shredded", "erasure.objects-deleted"], times: 4, within: 80_000)
        let erase = CLI.run("owner", "erase", "--vault", vault, "gone")
        #expect(erase.status == 0 || erase.standardError.contains("owner_erased"))
        #expect(CLI.run("sweep", "--vault", vault, "--as-of", future).status == 0)

        // End state: every studio take whole and restorable; no free take and nothing of "gone" left.
        let verify = try CLI.decode(Verify.Report.self, CLI.run("verify", "--vault", vault, "--read-data", "--json"))
        #expect(verify.ok)
        #expect(verify.orphans.isEmpty)
        let listed = Set(try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).map(\.takeId))
        #expect(listed == Set(studio))
        for take in studio {
            #expect(CLI.run("restore", "--vault", vault, take, "-o", directory.file("\(take).flac")).status == 0)
        }
        let leftovers = run("/bin/sh", ["-c", "ls \(vault)/store/v1/owners/ | tr '\\n' ' '"]).standardOutput
        #expect(!leftovers.contains("gone"))
        #expect(!FileManager.default.fileExists(atPath: vault + "/master.key.next"))
    }
}

/// Operations started side by side on one vault, with processes frozen at named points (failpoints)
/// so each interleaving happens for certain, not by timing.
@Suite("takevault operations side by side")
struct ConcurrentOperationTests {
    /// Starts `arguments` frozen at `point` and returns its pid once it has stopped there.
    static func frozen(_ arguments: [String], at point: String, sourceLocation: SourceLocation = #_sourceLocation) -> pid_t {
        let pid = startProcess(CLI.binary, arguments, outputPath: "/dev/null", environment: ["TAKEVAULT_TEST_STOP_AT": point])
        #expect(waitUntilStopped(pid) == .stopped, "\(arguments[0]) never reached \(point)", sourceLocation: sourceLocation)
        return pid
    }

    /// Continues a frozen process and returns its exit status.
    static func finish(_ pid: pid_t) -> Int32 {
        kill(pid, SIGCONT)
        return waitForExit(pid)
    }

    @Test("an ingest killed mid-way leaves its work folder unlocked: the next sweep removes its decoded audio at once, not after the grace period", .timeLimit(.minutes(5)))
    func abandonedWorkFolder() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let take = directory.file("take.wav")
        writeWAV(take, channels: toneChannels(2, frames: 96_000, bits: 24, seed: 6), bits: 24)
        let work = vault + "/work"
        func workFolders() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).sorted() }

        // Frozen with its artefacts sealed: its work folder holds the decoded master.
        let ingest = Self.frozen(["ingest", "--vault", vault, "--owner", "alice", "--tier", "pro", take], at: "ingest.sealed")
        // (A sweep waits for the ingest's locks, so it never meets a folder in use.)
        let working = workFolders()
        #expect(working.count == 1)
        #expect(working.first.map { FileManager.default.fileExists(atPath: work + "/" + $0 + "/.in-use") } == true)

        kill(ingest, SIGKILL)
        _ = waitForExit(ingest)
        let sweep = CLI.run("sweep", "--vault", vault, "--json")
        #expect(sweep.status == 0 && sweep.standardOutput.contains("left by a process that ended"), "\(sweep.standardOutput)")
        #expect(workFolders().isEmpty, "removed without waiting for the grace period")
        // The upload itself is untouched, and ingests as before.
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "alice", "--tier", "pro", take).status == 0)
        #expect(workFolders().isEmpty)
    }

    @Test("an erasure started while a new owner's take is being ingested waits for it; the take restores and the sweep runs", .timeLimit(.minutes(5)))
    func erasureBesideIngest() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let first = directory.file("alice.wav"), second = directory.file("bob.wav")
        writeWAV(first, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 1), bits: 16)
        writeWAV(second, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 2), bits: 16)
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "alice", "--tier", "pro", first).status == 0)

        // Bob's first ingest holds its locks and has not yet made his key; alice's erasure (which
        // rotates the master key) arrives and must wait rather than rotate under it.
        let ingest = Self.frozen(["ingest", "--vault", vault, "--owner", "bob", "--tier", "pro", "--json", second], at: "ingest.locked")
        let erase = Self.frozen(["owner", "erase", "alice", "--vault", vault], at: "lock.waiting")
        kill(erase, SIGCONT)                       // now blocked on the vault's lock, not frozen
        #expect(Self.finish(ingest) == 0)
        #expect(waitForExit(erase) == 0)

        let takes = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        #expect(takes.map(\.owner) == ["bob"])
        let restored = directory.file("bob.flac")
        #expect(CLI.run("restore", "--vault", vault, takes[0].takeId, "-o", restored).status == 0)
        #expect(try flacSamples(restored) == integerSamples(second))
        #expect(CLI.run("sweep", "--vault", vault, "--dry-run").status == 0, "every owner key still opens")
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a tier change started while a take is being reprocessed waits for it, and the new generation keeps the new tier", .timeLimit(.minutes(5)))
    func tierChangeBesideReprocess() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let file = directory.file("take.wav")
        writeWAV(file, channels: toneChannels(2, frames: 96_000, bits: 24, seed: 3), bits: 24)
        let take = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--json", file)).takeID

        // The reprocess has read generation 1 (tier free) and stored its new artefacts; the owner
        // becomes studio meanwhile: the change waits, then re-dates generation 2.
        let reprocess = Self.frozen(["reprocess", "--vault", vault, "--take", take, "--target-lufs", "-18"], at: "reprocess.sealed")
        let tier = Self.frozen(["owner", "tier", "u1", "studio", "--vault", vault], at: "lock.waiting")
        kill(tier, SIGCONT)
        #expect(Self.finish(reprocess) == 0)
        #expect(waitForExit(tier) == 0)

        let manifest = try CLI.decode(Inspect.Manifest.self, CLI.run("inspect", "--vault", vault, take, "--json"))
        #expect(manifest.header.generation == 2)
        #expect(manifest.header.tier == .studio && manifest.header.retainUntil == nil, "the tier change is not reverted")
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(400 * 86_400))
        #expect(try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--as-of", future, "--json")).deleted.allSatisfy { $0.kind != .take })
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a reprocess killed between its commit and its index leaves a catalog the sweep and a tier change bring in step, not trust", .timeLimit(.minutes(5)))
    func catalogBehindAfterKilledReprocess() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let file = directory.file("take.wav")
        writeWAV(file, channels: toneChannels(2, frames: 96_000, bits: 24, seed: 21), bits: 24)
        let take = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "pro", "--json", file)).takeID
        let reprocess = Self.frozen(["reprocess", "--vault", vault, "--take", take, "--target-lufs", "-20"], at: "reprocess.committed")
        kill(reprocess, SIGKILL)
        _ = waitForExit(reprocess)
        // Generation 2 is stored, the catalog still lists generation 1's objects. The sweep retires
        // generation 1 (its preview chunks go) after indexing generation 2.
        #expect(CLI.run("sweep", "--vault", vault, "--as-of", Self.daysFromNow(3)).status == 0)
        let listed = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        #expect(listed.first?.generation == 2)
        let tier = CLI.run("owner", "tier", "u1", "studio", "--vault", vault)
        #expect(tier.status == 0, "\(tier.standardError)")
        #expect(CLI.run("restore", "--vault", vault, take, "--artefact", "preview", "-o", directory.file("p.opus")).status == 0)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    /// Continues a process armed at a point it meets many times, through every stop, and returns
    /// its exit status.
    static func finishThroughStops(_ pid: pid_t) -> Int32 {
        while true {
            kill(pid, SIGCONT)
            switch waitUntilStopped(pid) {
            case .stopped: continue
            case .exited(let status): return status
            case .signalled(let signal): return 128 + signal
            }
        }
    }

    /// An ISO 8601 instant `days` from now, for `sweep --as-of`.
    static func daysFromNow(_ days: Double) -> String {
        ISO8601DateFormatter().string(from: Date().addingTimeInterval(days * 86_400))
    }

    @Test("a sweep beside an ingest that reuses chunks an interrupted ingest left waits for that owner; the take restores", .timeLimit(.minutes(5)))
    func sweepBesideDeduplicatingIngest() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let file = directory.file("take.wav")
        writeWAV(file, channels: toneChannels(2, frames: 96_000, bits: 24, seed: 4), bits: 24)
        let ingestArguments = ["ingest", "--vault", vault, "--owner", "alice", "--tier", "studio", file]

        // An ingest killed after storing its chunks and before its manifest: orphans, and past the
        // grace period by the sweep's clock below.
        let killed = Self.frozen(ingestArguments, at: "ingest.sealed")
        kill(killed, SIGKILL)
        _ = waitForExit(killed)
        // The same audio again finds those chunks and does not write them again; the sweep arrives
        // before its manifest commits and must wait for alice rather than delete them.
        let ingest = Self.frozen(ingestArguments, at: "ingest.sealed")
        let sweep = Self.frozen(["sweep", "--vault", vault, "--as-of", Self.daysFromNow(3)], at: "lock.waiting")
        kill(sweep, SIGCONT)
        #expect(Self.finish(ingest) == 0)
        #expect(waitForExit(sweep) == 0)

        let takes = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        try #require(takes.count == 1)
        let restored = directory.file("restored.flac")
        #expect(CLI.run("restore", "--vault", vault, takes[0].takeId, "-o", restored).status == 0)
        #expect(try flacSamples(restored) == integerSamples(file))
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a sweep holds one owner at a time: another owner's ingest completes while the sweep is stopped inside an owner", .timeLimit(.minutes(5)))
    func sweepHoldsOneOwnerAtATime() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let first = directory.file("alice.wav"), second = directory.file("bob.wav")
        writeWAV(first, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 5), bits: 16)
        writeWAV(second, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 6), bits: 16)
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "alice", "--tier", "free", first).status == 0)

        // The sweep has deleted alice's expired take and stops there, holding alice.
        let sweep = Self.frozen(["sweep", "--vault", vault, "--as-of", Self.daysFromNow(10), "--json"], at: "sweep.step-applied")
        let ingest = CLI.run("ingest", "--vault", vault, "--owner", "bob", "--tier", "pro", "--json", second)
        #expect(ingest.status == 0, "bob's ingest is not held up by a sweep busy with alice")
        #expect(Self.finishThroughStops(sweep) == 0)
        let takes = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))
        #expect(takes.map(\.owner) == ["bob"])
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }
}
