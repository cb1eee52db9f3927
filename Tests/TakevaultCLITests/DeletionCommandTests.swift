import AudioTestSupport
import Foundation
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// `takevault delete` through the binary, and beside every other operation: each race is staged
/// with processes frozen at named points and continued in a chosen order (no sleeps).
@Suite("takevault delete and amend")
struct DeletionCommandTests {
    typealias Frozen = ConcurrentOperationTests

    /// A vault with `count` takes of u1 (studio, session `band`) and one of u2; returns their ids and files.
    static func vault(_ directory: TestDirectory, count: Int = 2) throws -> (vault: String, takes: [String], files: [String], other: String) {
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        var takes: [String] = [], files: [String] = []
        for index in 0..<count {
            let file = directory.file("take\(index).wav")
            writeWAV(file, channels: toneChannels(2, frames: 48_000, bits: 16, seed: UInt64(index + 1)), bits: 16)
            takes.append(try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", "--session", "band", "--json", file)).takeID)
            files.append(file)
        }
        let otherFile = directory.file("other.wav")
        writeWAV(otherFile, channels: toneChannels(1, frames: 48_000, bits: 16, seed: 99), bits: 16)
        let other = try CLI.decode(IngestResult.self, CLI.run("ingest", "--vault", vault, "--owner", "u2", "--tier", "pro", "--session", "band", "--json", otherFile)).takeID
        return (vault, takes, files, other)
    }

    /// Object files under the store's folder for `owner`'s takes and chunks.
    static func storedNames(_ vault: String, owner: String) -> Set<String> {
        let folder = vault + "/store/v1/owners/\(owner)/"
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var names = Set<String>()
        while let path = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            guard path.hasPrefix("takes/") || path.hasPrefix("chunks/"), FileManager.default.fileExists(atPath: folder + path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            names.insert("v1/owners/\(owner)/" + path)
        }
        return names
    }

    @Test("delete --take and --session: exit codes, JSON, ambiguity and holds", .timeLimit(.minutes(5)))
    func basics() throws {
        let directory = TestDirectory()
        let (vault, takes, _, other) = try Self.vault(directory, count: 3)
        #expect(CLI.run("delete", "--vault", vault, "--take", String(repeating: "0", count: 32)).status == 2)
        #expect(CLI.run("delete", "--vault", vault).status == 2, "nothing named")
        let ambiguous = CLI.run("delete", "--vault", vault, "--session", "band")
        #expect(ambiguous.status == 2 && ambiguous.standardError.contains("--owner"), "two owners have a session band")
        #expect(CLI.run("owner", "hold", "u1", "--take", takes[0], "--reason", "dispute", "--vault", vault).status == 0)
        let held = CLI.run("delete", "--vault", vault, "--session", "band", "--owner", "u1", "--json")
        #expect(held.status == 3 && held.standardOutput.contains("take_held"))
        let one = CLI.run("delete", "--vault", vault, "--take", takes[1], "--by", "support-ticket-42", "--json")
        #expect(one.status == 0, "\(one.standardError)")
        #expect(one.standardOutput.contains(takes[1]))
        let listed = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).map(\.takeId)
        #expect(Set(listed) == [takes[0], takes[2], other])
        #expect(CLI.run("restore", "--vault", vault, takes[1], "-o", directory.file("gone.flac")).status == 2)
        #expect(CLI.run("owner", "hold", "u1", "--lift", "--take", takes[0], "--vault", vault).status == 0)
        #expect(CLI.run("delete", "--vault", vault, "--session", "band", "--owner", "u1").status == 0)
        #expect(try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).map(\.takeId) == [other])
        #expect(Self.storedNames(vault, owner: "u1").isEmpty, "\(Self.storedNames(vault, owner: "u1"))")
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a delete holding the owner's lock, then a re-ingest of the same audio: the ingest waits and makes the take anew, whole", .timeLimit(.minutes(5)))
    func deleteThenIngestSameContent() throws {
        let directory = TestDirectory()
        let (vault, takes, files, _) = try Self.vault(directory, count: 1)
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "deletion.locked")
        let ingest = Frozen.frozen(["ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", files[0]], at: "lock.waiting")
        kill(ingest, SIGCONT)
        #expect(Frozen.finish(delete) == 0)
        #expect(waitForExit(ingest) == 0)
        let restored = directory.file("again.flac")
        #expect(CLI.run("restore", "--vault", vault, takes[0], "-o", restored).status == 0, "the take was made again after the delete")
        #expect(try flacSamples(restored) == integerSamples(files[0]))
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("an ingest of the same audio holding its lock, then a delete: the delete waits and removes the take the ingest confirmed", .timeLimit(.minutes(5)))
    func ingestThenDelete() throws {
        let directory = TestDirectory()
        let (vault, takes, files, _) = try Self.vault(directory, count: 1)
        let ingest = Frozen.frozen(["ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", files[0]], at: "ingest.locked")
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "lock.waiting")
        kill(delete, SIGCONT)
        #expect(Frozen.finish(ingest) == 0)
        #expect(waitForExit(delete) == 0)
        #expect(CLI.run("restore", "--vault", vault, takes[0], "-o", directory.file("x.flac")).status == 2)
        #expect(Self.storedNames(vault, owner: "u1").isEmpty)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a reprocess that stored its new artefacts, then a delete: the delete waits, then removes both generations and every chunk", .timeLimit(.minutes(5)))
    func reprocessThenDelete() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 2)
        let reprocess = Frozen.frozen(["reprocess", "--vault", vault, "--take", takes[0], "--target-lufs", "-18"], at: "reprocess.sealed")
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "lock.waiting")
        kill(delete, SIGCONT)
        #expect(Frozen.finish(reprocess) == 0)
        #expect(waitForExit(delete) == 0)
        let left = Self.storedNames(vault, owner: "u1")
        #expect(!left.contains { $0.contains(takes[0]) })
        let survivor = try CLI.decode(Inspect.Manifest.self, CLI.run("inspect", "--vault", vault, takes[1], "--json"))
        let needed = Set(survivor.body.artefacts.flatMap { $0.chunks.map { ObjectNames.chunk(owner: "u1", id: $0.id) } }
            + [survivor.name, ObjectNames.takeKey(owner: "u1", take: takes[1])])
        #expect(left == needed, "only the other take's objects remain: \(left.subtracting(needed))")
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a delete holding the lock, then a reprocess of the same take: the reprocess finds the take gone and stores nothing", .timeLimit(.minutes(5)))
    func deleteThenReprocess() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 1)
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "deletion.locked")
        let reprocess = Frozen.frozen(["reprocess", "--vault", vault, "--take", takes[0], "--target-lufs", "-18"], at: "lock.waiting")
        kill(reprocess, SIGCONT)
        #expect(Frozen.finish(delete) == 0)
        #expect(waitForExit(reprocess) == 0, "the take it chose is gone: skipped (take_gone), not a failure")
        #expect(Self.storedNames(vault, owner: "u1").isEmpty, "\(Self.storedNames(vault, owner: "u1"))")
    }

    @Test("a tier change waiting on a delete finishes after it, on the takes that are left", .timeLimit(.minutes(5)))
    func tierChangeBesideDelete() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 2)
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "deletion.locked")
        let tier = Frozen.frozen(["owner", "tier", "u1", "free", "--vault", vault], at: "lock.waiting")
        kill(tier, SIGCONT)
        #expect(Frozen.finish(delete) == 0)
        #expect(Frozen.finishThroughStops(tier) == 0)
        let listed = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).filter { $0.owner == "u1" }
        #expect(listed.map(\.takeId) == [takes[1]] && listed.first?.tier == .free && listed.first?.retainUntil != nil)
        #expect(!Self.storedNames(vault, owner: "u1").contains { $0.contains(takes[0]) })
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a sweep waiting on a delete finishes after it without failing on the take's absence or bringing it back", .timeLimit(.minutes(5)))
    func sweepBesideDelete() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 2)
        let delete = Frozen.frozen(["delete", "--vault", vault, "--take", takes[0]], at: "deletion.locked")
        let sweep = Frozen.frozen(["sweep", "--vault", vault, "--as-of", ConcurrentOperationTests.daysFromNow(3), "--json"], at: "lock.waiting")
        kill(sweep, SIGCONT)
        #expect(Frozen.finish(delete) == 0)
        #expect(Frozen.finishThroughStops(sweep) == 0)
        let listed = try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).filter { $0.owner == "u1" }
        #expect(listed.map(\.takeId) == [takes[1]])
        #expect(!Self.storedNames(vault, owner: "u1").contains { $0.contains(takes[0]) })
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("a sweep stopped inside the owner's part: a delete of a take it deleted finds it gone at once; a session delete waits for the owner and finds nothing", .timeLimit(.minutes(5)))
    func sweepThenDelete() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 2)
        // Make u1's takes expire for a sweep ten days ahead: free keeps seven days.
        #expect(CLI.run("owner", "tier", "u1", "free", "--vault", vault).status == 0)
        let sweep = Frozen.frozen(["sweep", "--vault", vault, "--as-of", ConcurrentOperationTests.daysFromNow(10)], at: "sweep.step-applied")
        #expect(CLI.run("delete", "--vault", vault, "--take", takes[0]).status == 2, "already deleted by the sweep's first step")
        let delete = Frozen.frozen(["delete", "--vault", vault, "--session", "band", "--owner", "u1"], at: "lock.waiting")
        kill(delete, SIGCONT)
        #expect(Frozen.finishThroughStops(sweep) == 0)
        #expect(Frozen.finishThroughStops(delete) == 2)
        #expect(Self.storedNames(vault, owner: "u1").isEmpty)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("amend beside a reprocess: the correction waits, then makes the next generation on the reprocessed artefacts; one manifest is left", .timeLimit(.minutes(5)))
    func amendBesideReprocess() throws {
        let directory = TestDirectory()
        let (vault, takes, _, _) = try Self.vault(directory, count: 1)
        let reprocess = Frozen.frozen(["reprocess", "--vault", vault, "--take", takes[0], "--target-lufs", "-18"], at: "reprocess.sealed")
        let amend = Frozen.frozen(["amend", takes[0], "--vault", vault, "--meta", #"{"participants": [{"id": "u5", "role": "keys"}]}"#, "--by", "ticket-7"],
                                  at: "lock.waiting")
        kill(amend, SIGCONT)
        #expect(Frozen.finishThroughStops(reprocess) == 0)
        #expect(Frozen.finishThroughStops(amend) == 0)
        let manifest = try CLI.decode(Inspect.Manifest.self, CLI.run("inspect", "--vault", vault, takes[0], "--json"))
        #expect(manifest.header.generation == 3 && manifest.body.participants.map(\.id) == ["u5"])
        #expect(manifest.body.pipeline.settings["target_lufs"]?.doubleValue == -18, "the correction keeps the reprocessed artefacts")
        #expect(Set(Self.storedNames(vault, owner: "u1").filter { $0.contains("/takes/") }) == [manifest.name, ObjectNames.takeKey(owner: "u1", take: takes[0])])
        let unchanged = CLI.run("amend", takes[0], "--vault", vault, "--meta", #"{"participants": [{"id": "u5", "role": "keys"}]}"#, "--json")
        #expect(unchanged.status == 0)
        let result = try CLI.decode(TakeAmendment.Result.self, unchanged)
        #expect(result.changed.isEmpty && result.generation == 3, "the same correction again changes nothing")
        #expect(CLI.run("amend", takes[0], "--vault", vault, "--meta", #"{"tier": "studio"}"#).status == 2)
        #expect(CLI.run("amend", String(repeating: "0", count: 32), "--vault", vault, "--meta", #"{"session_id": "x"}"#).status == 2)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }
}
