import AudioTestSupport
import Foundation
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// `takevault reprocess` through the binary: previews re-derived from masters to a new target,
/// masters untouched, idempotent and resumable, restricted owners skipped, held takes keeping
/// their old generation until the hold is lifted and the sweep runs.
@Suite("takevault reprocess", .serialized)
struct ReprocessTests {
    static let uploads = ["guitar-44k16-stereo.wav", "keys-48k24-stereo.wav", "pad-48k-float32-mono.wav", "voice-take-48k16-mono.wav",
                          "drums-44k16-stereo.flac", "bass-48k-stereo.ogg"]

    /// A vault holding every sample (studio tier: nothing expires while a test sweeps).
    static func vault(_ directory: TestDirectory, owner: String = "u1") throws -> (vault: String, takes: [String]) {
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let ingest = CLI.run(["ingest", "--vault", vault, "--owner", owner, "--tier", "studio", "--json"] + uploads.map { CLI.samples + "/" + $0 })
        try #require(ingest.status == 0, "\(ingest.standardError)")
        return (vault, try CLI.decode([IngestResult].self, ingest).map(\.takeID))
    }

    static func manifest(_ vault: String, _ take: String) throws -> Inspect.Manifest {
        try CLI.decode(Inspect.Manifest.self, CLI.run("inspect", "--vault", vault, take, "--json"))
    }

    static func artefacts(_ manifest: Inspect.Manifest) -> [ArtefactKind: Artefact] {
        Dictionary(manifest.body.artefacts.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Store object names as the store lists them (no tag files, no temporary files).
    static func storeObjects(_ vault: String) -> [String] {
        storeFiles(vault).filter { name in !name.split(separator: "/").contains { $0.hasPrefix(".") } }
    }

    /// Every file under the store folder, hidden ones included: objects, their tags under `.tags/`,
    /// and any `.tmp-*` a write cut short left.
    static func storeFiles(_ vault: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: vault + "/store")) ?? [])
            .filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: vault + "/store/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
            .sorted()
    }

    static func manifestNames(_ vault: String, take: String) -> [String] {
        storeObjects(vault).filter { $0.contains(take) && $0.contains("/manifest-") }
    }

    /// Restores a take's preview and measures it independently: opusdec decodes, libebur128 measures.
    static func previewLevels(_ vault: String, _ take: String, _ directory: TestDirectory) throws -> (lufs: Double, dbtp: Double) {
        let path = directory.file("preview-\(take).opus")
        try? FileManager.default.removeItem(atPath: path)
        try #require(CLI.run("restore", "--vault", vault, take, "--artefact", "preview", "-o", path).status == 0)
        let reading = try IndependentMeter.measureOpus(path, scratch: directory)
        return (reading.integratedLUFS, reading.truePeakDBTP)
    }

    @Test("a vault of mixed takes to −14 LUFS: previews on target, masters byte-identical, settings recorded, verify clean; a second run skips all",
          .timeLimit(.minutes(5)))
    func toNewTarget() throws {
        let directory = TestDirectory()
        let (vault, takes) = try Self.vault(directory)
        var masters: [String: [UInt8]] = [:]
        var masterChunks: [String: [String]] = [:]
        for take in takes {
            let path = directory.file("master-before-\(take)")
            #expect(CLI.run("restore", "--vault", vault, take, "--artefact", "master", "-o", path).status == 0)
            masters[take] = readBytes(path)
            masterChunks[take] = Self.artefacts(try Self.manifest(vault, take))[.master]?.chunks.map(\.id.description)
        }

        let dryRun = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--dry-run", "--json")
        #expect(try CLI.decode(Reprocess.Report.self, dryRun).wouldReprocess == takes.count)
        #expect(takes.allSatisfy { Self.manifestNames(vault, take: $0).count == 1 && Self.manifestNames(vault, take: $0)[0].hasSuffix("manifest-000001") })

        let run = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try CLI.decode(Reprocess.Report.self, run).done == takes.count)
        for take in takes {
            let levels = try Self.previewLevels(vault, take, directory)
            #expect(abs(levels.lufs + 14) <= 0.5, "\(take): \(levels.lufs) LUFS")
            #expect(levels.dbtp <= -1 + 0.05, "\(take): \(levels.dbtp) dBTP")
            let path = directory.file("master-after-\(take)")
            #expect(CLI.run("restore", "--vault", vault, take, "--artefact", "master", "-o", path).status == 0)
            #expect(readBytes(path) == masters[take], "the master restores byte for byte")
            let manifest = try Self.manifest(vault, take)
            #expect(Self.artefacts(manifest)[.master]?.chunks.map(\.id.description) == masterChunks[take],
                    "the master's chunks are reused, not rewritten")
            #expect(manifest.body.pipeline.settings["target_lufs"]?.doubleValue == -14)
            #expect(manifest.header.generation == 2)
            #expect(Self.manifestNames(vault, take: take).map { String($0.suffix(15)) } == ["manifest-000002"], "the old generation is retired")
        }
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0)
        #expect(try CLI.decode(Verify.Report.self, verify).orphans.isEmpty, "no chunk is left behind")
        #expect(Set(try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json")).map(\.takeId)) == Set(takes))

        let before = Self.storeObjects(vault)
        let again = try CLI.decode(Reprocess.Report.self, CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json"))
        #expect(again.skipped == takes.count && again.done == 0)
        #expect(Self.storeObjects(vault) == before, "a second run changes nothing")
    }

    @Test("kill -9 at its failpoints and at random moments, then run again: the same end state as an uninterrupted run", .timeLimit(.minutes(8)))
    func resumable() throws {
        let directory = TestDirectory()
        let (vault, takes) = try Self.vault(directory)
        // The same vault, copied before any reprocess: the uninterrupted reference.
        let reference = directory.file("reference")
        #expect(run("cp", ["-a", vault, reference]).status == 0)
        #expect(CLI.run("reprocess", "--vault", reference, "--all", "--target-lufs", "-14").status == 0)

        let arguments = ["reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--jobs", "2"]
        // Killed where a take is half done — derived artefacts stored but no new manifest; new
        // generation committed but the old not retired — each kill seen to land there.
        for point in ["reprocess.sealed", "reprocess.committed", "reprocess.sealed"] {
            let pid = startProcess(CLI.binary, arguments, outputPath: "/dev/null", environment: ["TAKEVAULT_TEST_STOP_AT": point])
            #expect(waitUntilStopped(pid) == .stopped, "reprocess never reached \(point)")
            killProcess(pid)
        }
        // Then anywhere, on a schedule a failure can replay (the seed is in the test's output).
        let seed = UInt64.random(in: 0...UInt64.max)
        print("reprocess kill schedule seed: \(seed)")
        var generator = SplitMix64(seed: seed)
        for _ in 0..<4 {
            let pid = startProcess(CLI.binary, arguments)
            usleep(UInt32.random(in: 50_000...900_000, using: &generator))
            killProcess(pid)
        }
        let finish = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(finish.status == 0, "\(finish.standardError)")
        #expect(Self.storeObjects(vault) == Self.storeObjects(reference), "same objects as the uninterrupted run")
        // What the kills left beside the objects — chunks no manifest took up, temporary files,
        // tags without an object — is the sweep's, once past its grace period: then the two stores
        // hold exactly the same files, tags and all.
        // Crash leftovers age by the clock as well as by --as-of (a sweep run "as of" a later day
        // must not take a running operation's files): age every file of both stores past the grace.
        let afterGrace = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        let daysAgo = String(Int(Date().timeIntervalSince1970) - 3 * 86_400)
        for folder in [vault, reference] {
            #expect(run("find", [folder + "/store", "-type", "f", "-exec", "touch", "-m", "-d", "@" + daysAgo, "{}", "+"]).status == 0)
            #expect(CLI.run("sweep", "--vault", folder, "--as-of", afterGrace).status == 0)
        }
        #expect(Self.storeFiles(vault) == Self.storeFiles(reference), "no leftovers after a sweep")
        for take in takes {
            let preview = Self.artefacts(try Self.manifest(vault, take))[.preview]?.sha256
            let expected = Self.artefacts(try Self.manifest(reference, take))[.preview]?.sha256
            #expect(preview != nil && preview == expected)
        }
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0)
        #expect(try CLI.decode(Verify.Report.self, verify).orphans.isEmpty)
    }

    @Test("restricted owners are skipped; a held take keeps its old generation until the hold is lifted and the sweep runs",
          .timeLimit(.minutes(5)))
    func policy() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        func ingest(_ owner: String, _ sample: String, tier: String = "studio") throws -> String {
            let result = CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", tier, "--json", CLI.samples + "/" + sample)
            return try CLI.decode(IngestResult.self, result).takeID
        }
        let held = try ingest("a", "keys-48k24-stereo.wav")
        let free = try ingest("a", "voice-take-48k16-mono.wav", tier: "pro")
        let retention = try Self.manifest(vault, free).header.retainUntil
        #expect(retention != nil)
        let restricted = try ingest("r", "guitar-44k16-stereo.wav")
        #expect(CLI.run("owner", "hold", "a", "--vault", vault, "--take", held, "--reason", "investigation").status == 0)
        #expect(CLI.run("owner", "restrict", "r", "--vault", vault).status == 0)
        let oldPreview = Self.artefacts(try Self.manifest(vault, held))[.preview]?.sha256

        let run = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(run.status == 0, "\(run.standardError)")
        let results = try CLI.decode(Reprocess.Report.self, run).takes
        func result(_ take: String) -> ReprocessResult? { results.first { $0.takeID == take } }
        #expect(result(restricted)?.outcome == .skipped)
        #expect(result(restricted)?.reason?.code == "owner_restricted")
        #expect(result(held)?.outcome == .done && result(held)?.oldGenerationKept == true)
        #expect(result(free)?.outcome == .done && result(free)?.oldGenerationKept == false)
        #expect(Self.manifestNames(vault, take: held).count == 2, "held: both generations stay")
        #expect(Self.manifestNames(vault, take: free).count == 1)
        #expect(try Self.manifest(vault, free).header.retainUntil == retention, "retention does not change")
        #expect(Self.manifestNames(vault, take: restricted).count == 1)
        #expect(Self.artefacts(try Self.manifest(vault, restricted))[.preview] != nil)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)

        // While held, the sweep keeps the old generation; once lifted, it retires it.
        let kept = try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--json"))
        #expect(kept.kept.contains { $0.kind == .supersededGeneration && $0.id == held })
        #expect(Self.manifestNames(vault, take: held).count == 2)
        #expect(CLI.run("owner", "hold", "a", "--vault", vault, "--lift", "--take", held).status == 0)
        let dry = try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--dry-run", "--json"))
        let swept = try CLI.decode(Sweep.Report.self, CLI.run("sweep", "--vault", vault, "--json"))
        #expect(dry.deleted == swept.deleted, "the dry run's plan is what the real run did")
        #expect(swept.deleted.contains { $0.kind == .supersededGeneration && $0.id == held })
        #expect(Self.manifestNames(vault, take: held).map { String($0.suffix(15)) } == ["manifest-000002"])
        #expect(Self.artefacts(try Self.manifest(vault, held))[.preview]?.sha256 != oldPreview)
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0)
        #expect(try CLI.decode(Verify.Report.self, verify).orphans.isEmpty)
    }

    @Test("a preview that cannot meet the target is not committed: the old generation stays and the take is reported", .timeLimit(.minutes(5)))
    func failureKeepsOldGeneration() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let ingest = CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", "--json", CLI.samples + "/drums-44k16-stereo.flac")
        let take = try CLI.decode(IngestResult.self, ingest).takeID
        let before = Self.storeObjects(vault)
        // −6 LUFS under a −20 dBTP ceiling cannot be had: the limiter holds the ceiling, the loudness falls short.
        let run = CLI.run("reprocess", "--vault", vault, "--take", take, "--target-lufs", "-6", "--ceiling-dbtp", "-20", "--json")
        #expect(run.status == 1)
        let result = try #require(try CLI.decode(Reprocess.Report.self, run).takes.first)
        #expect(result.outcome == .failed)
        #expect(result.reason?.code == "preview_off_target")
        #expect(Self.manifestNames(vault, take: take).map { String($0.suffix(15)) } == ["manifest-000001"])
        #expect(Set(Self.storeObjects(vault)).isSuperset(of: before))
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("selectors combine with AND; a bare reprocess is a usage error")
    func selectors() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        // An owner has one tier at a time (an ingest naming another is a tier change).
        for (owner, tier, sample) in [("a", "pro", "voice-take-48k16-mono.wav"), ("a", "pro", "keys-48k24-stereo.wav"), ("b", "free", "pad-48k-float32-mono.wav")] {
            #expect(CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", tier, "--session", "s-\(owner)", CLI.samples + "/" + sample).status == 0)
        }
        func selected(_ arguments: String...) -> Int? {
            try? CLI.decode(Reprocess.Report.self, CLI.run(["reprocess", "--vault", vault, "--target-lufs", "-14", "--dry-run", "--json"] + arguments)).wouldReprocess
        }
        #expect(selected("--all") == 3)
        #expect(selected("--owner", "a") == 2)
        #expect(selected("--owner", "a", "--tier", "pro") == 2)
        #expect(selected("--tier", "free") == 1)
        #expect(selected("--owner", "a", "--tier", "free") == 0)
        #expect(selected("--session", "s-b") == 1)
        #expect(selected("--owner", "b", "--tier", "pro") == 0)
        #expect(selected("--ingested-before", "2000-01-01") == 0)
        #expect(selected("--ingested-after", "2000-01-01") == 3)
        #expect(selected("--pipeline-older-than", "1") == 0)
        #expect(selected("--pipeline-older-than", "2") == 3)
        #expect(CLI.run("reprocess", "--vault", vault, "--target-lufs", "-14").status == 2)
        // A named take the other selectors exclude is simply not selected; an unknown one is an error.
        let ofA = try #require(try CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--owner", "a", "--json")).first?.takeId)
        #expect(selected("--take", ofA, "--owner", "b") == 0)
        #expect(selected("--take", ofA) == 1)
        #expect(CLI.run("reprocess", "--vault", vault, "--take", "0000000000000000000000000000000f", "--dry-run").status == 2)

        // A settings file changes what it names; the rest stays the vault's; a typo is refused.
        let file = directory.write("settings.json", bytes: Array(#"{"opus_bitrate": 96000}"#.utf8))
        let derivation = try CLI.decode(Reprocess.Report.self, CLI.run("reprocess", "--vault", vault, "--all", "--settings", file, "--dry-run", "--json")).derivation
        #expect(derivation.opusBitrate == 96_000 && derivation.targetLUFS == -16)
        let typo = directory.write("typo.json", bytes: Array(#"{"target_lufts": -14}"#.utf8))
        #expect(CLI.run("reprocess", "--vault", vault, "--all", "--settings", typo, "--dry-run").status == 2)
    }
}
