import AudioTestSupport
import Foundation
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
        let results = try #require(CLI.json(ingest) as? [[String: Any]])
        return (vault, results.compactMap { $0["take_id"] as? String })
    }

    static func manifest(_ vault: String, _ take: String) throws -> [String: Any] {
        let inspect = CLI.run("inspect", "--vault", vault, take, "--json")
        return try #require(CLI.json(inspect) as? [String: Any], "\(inspect.standardError)")
    }

    static func artefacts(_ manifest: [String: Any]) -> [String: [String: Any]] {
        let body = manifest["body"] as? [String: Any]
        var byKind: [String: [String: Any]] = [:]
        for artefact in (body?["artefacts"] as? [[String: Any]]) ?? [] { byKind[artefact["kind"] as? String ?? ""] = artefact }
        return byKind
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
            masterChunks[take] = (Self.artefacts(try Self.manifest(vault, take))["master"]?["chunks"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        }

        let dryRun = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--dry-run", "--json")
        #expect((CLI.json(dryRun) as? [String: Any])?["would_reprocess"] as? Int == takes.count)
        #expect(takes.allSatisfy { Self.manifestNames(vault, take: $0).count == 1 && Self.manifestNames(vault, take: $0)[0].hasSuffix("manifest-000001") })

        let run = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(run.status == 0, "\(run.standardError)")
        let report = try #require(CLI.json(run) as? [String: Any])
        #expect(report["done"] as? Int == takes.count)
        for take in takes {
            let levels = try Self.previewLevels(vault, take, directory)
            #expect(abs(levels.lufs + 14) <= 0.5, "\(take): \(levels.lufs) LUFS")
            #expect(levels.dbtp <= -1 + 0.05, "\(take): \(levels.dbtp) dBTP")
            let path = directory.file("master-after-\(take)")
            #expect(CLI.run("restore", "--vault", vault, take, "--artefact", "master", "-o", path).status == 0)
            #expect(readBytes(path) == masters[take], "the master restores byte for byte")
            let manifest = try Self.manifest(vault, take)
            #expect((Self.artefacts(manifest)["master"]?["chunks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == masterChunks[take],
                    "the master's chunks are reused, not rewritten")
            let pipeline = (manifest["body"] as? [String: Any])?["pipeline"] as? [String: Any]
            #expect((pipeline?["settings"] as? [String: Any])?["target_lufs"] as? Double == -14)
            #expect((manifest["header"] as? [String: Any])?["generation"] as? Int == 2)
            #expect(Self.manifestNames(vault, take: take).map { String($0.suffix(15)) } == ["manifest-000002"], "the old generation is retired")
        }
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0)
        #expect(((CLI.json(verify) as? [String: Any])?["orphans"] as? [Any])?.isEmpty == true, "no chunk is left behind")
        let list = try #require(CLI.json(CLI.run("ls", "--vault", vault, "--json")) as? [[String: Any]])
        #expect(list.count == takes.count)

        let before = Self.storeObjects(vault)
        let again = try #require(CLI.json(CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")) as? [String: Any])
        #expect(again["skipped"] as? Int == takes.count && again["done"] as? Int == 0)
        #expect(Self.storeObjects(vault) == before, "a second run changes nothing")
    }

    @Test("kill -9 at random moments, then run again: the same end state as an uninterrupted run", .timeLimit(.minutes(8)))
    func resumable() throws {
        let directory = TestDirectory()
        let (vault, takes) = try Self.vault(directory)
        // The same vault, copied before any reprocess: the uninterrupted reference.
        let reference = directory.file("reference")
        #expect(run("cp", ["-a", vault, reference]).status == 0)
        #expect(CLI.run("reprocess", "--vault", reference, "--all", "--target-lufs", "-14").status == 0)

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let pid = startProcess(CLI.binary, ["reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--jobs", "2"])
            usleep(UInt32.random(in: 50_000...900_000, using: &generator))
            killProcess(pid)
        }
        let finish = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(finish.status == 0, "\(finish.standardError)")
        #expect(Self.storeObjects(vault) == Self.storeObjects(reference), "same objects as the uninterrupted run")
        // What the kills left beside the objects — chunks no manifest took up, temporary files,
        // tags without an object — is the sweep's, once past its grace period: then the two stores
        // hold exactly the same files, tags and all.
        let afterGrace = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        for folder in [vault, reference] { #expect(CLI.run("sweep", "--vault", folder, "--as-of", afterGrace).status == 0) }
        #expect(Self.storeFiles(vault) == Self.storeFiles(reference), "no leftovers after a sweep")
        for take in takes {
            let preview = Self.artefacts(try Self.manifest(vault, take))["preview"]?["sha256"] as? String
            let expected = Self.artefacts(try Self.manifest(reference, take))["preview"]?["sha256"] as? String
            #expect(preview != nil && preview == expected)
        }
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0 && ((CLI.json(verify) as? [String: Any])?["orphans"] as? [Any])?.isEmpty == true)
    }

    @Test("restricted owners are skipped; a held take keeps its old generation until the hold is lifted and the sweep runs",
          .timeLimit(.minutes(5)))
    func policy() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        func ingest(_ owner: String, _ sample: String, tier: String = "studio") throws -> String {
            let result = CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", tier, "--json", CLI.samples + "/" + sample)
            return try #require((CLI.json(result) as? [String: Any])?["take_id"] as? String)
        }
        let held = try ingest("a", "keys-48k24-stereo.wav")
        let free = try ingest("a", "voice-take-48k16-mono.wav", tier: "pro")
        let retention = (try Self.manifest(vault, free)["header"] as? [String: Any])?["retain_until"] as? String
        #expect(retention != nil)
        let restricted = try ingest("r", "guitar-44k16-stereo.wav")
        #expect(CLI.run("owner", "hold", "a", "--vault", vault, "--take", held, "--reason", "investigation").status == 0)
        #expect(CLI.run("owner", "restrict", "r", "--vault", vault).status == 0)
        let oldPreview = Self.artefacts(try Self.manifest(vault, held))["preview"]?["sha256"] as? String

        let run = CLI.run("reprocess", "--vault", vault, "--all", "--target-lufs", "-14", "--json")
        #expect(run.status == 0, "\(run.standardError)")
        let results = try #require((CLI.json(run) as? [String: Any])?["takes"] as? [[String: Any]])
        func result(_ take: String) -> [String: Any]? { results.first { $0["take_id"] as? String == take } }
        #expect(result(restricted)?["outcome"] as? String == "skipped")
        #expect((result(restricted)?["reason"] as? [String: Any])?["code"] as? String == "owner_restricted")
        #expect(result(held)?["outcome"] as? String == "done" && result(held)?["old_generation_kept"] as? Bool == true)
        #expect(result(free)?["outcome"] as? String == "done" && result(free)?["old_generation_kept"] as? Bool == false)
        #expect(Self.manifestNames(vault, take: held).count == 2, "held: both generations stay")
        #expect(Self.manifestNames(vault, take: free).count == 1)
        #expect((try Self.manifest(vault, free)["header"] as? [String: Any])?["retain_until"] as? String == retention, "retention does not change")
        #expect(Self.manifestNames(vault, take: restricted).count == 1)
        #expect(Self.artefacts(try Self.manifest(vault, restricted))["preview"] != nil)
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)

        // While held, the sweep keeps the old generation; once lifted, it retires it.
        let kept = try #require(CLI.json(CLI.run("sweep", "--vault", vault, "--json")) as? [String: Any])
        #expect((kept["kept"] as? [[String: Any]])?.contains { $0["kind"] as? String == "superseded_generation" && $0["id"] as? String == held } == true)
        #expect(Self.manifestNames(vault, take: held).count == 2)
        #expect(CLI.run("owner", "hold", "a", "--vault", vault, "--lift", "--take", held).status == 0)
        let dry = try #require(CLI.json(CLI.run("sweep", "--vault", vault, "--dry-run", "--json")) as? [String: Any])
        let swept = try #require(CLI.json(CLI.run("sweep", "--vault", vault, "--json")) as? [String: Any])
        #expect((dry["deleted"] as? [[String: Any]])?.count == (swept["deleted"] as? [[String: Any]])?.count)
        #expect((swept["deleted"] as? [[String: Any]])?.contains { $0["kind"] as? String == "superseded_generation" && $0["id"] as? String == held } == true)
        #expect(Self.manifestNames(vault, take: held).map { String($0.suffix(15)) } == ["manifest-000002"])
        #expect(Self.artefacts(try Self.manifest(vault, held))["preview"]?["sha256"] as? String != oldPreview)
        let verify = CLI.run("verify", "--vault", vault, "--read-data", "--json")
        #expect(verify.status == 0 && ((CLI.json(verify) as? [String: Any])?["orphans"] as? [Any])?.isEmpty == true)
    }

    @Test("a preview that cannot meet the target is not committed: the old generation stays and the take is reported", .timeLimit(.minutes(3)))
    func failureKeepsOldGeneration() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let ingest = CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "studio", "--json", CLI.samples + "/drums-44k16-stereo.flac")
        let take = try #require((CLI.json(ingest) as? [String: Any])?["take_id"] as? String)
        let before = Self.storeObjects(vault)
        // −6 LUFS under a −20 dBTP ceiling cannot be had: the limiter holds the ceiling, the loudness falls short.
        let run = CLI.run("reprocess", "--vault", vault, "--take", take, "--target-lufs", "-6", "--ceiling-dbtp", "-20", "--json")
        #expect(run.status == 1)
        let result = try #require(((CLI.json(run) as? [String: Any])?["takes"] as? [[String: Any]])?.first)
        #expect(result["outcome"] as? String == "failed")
        #expect((result["reason"] as? [String: Any])?["code"] as? String == "preview_off_target")
        #expect(Self.manifestNames(vault, take: take).map { String($0.suffix(15)) } == ["manifest-000001"])
        #expect(Set(Self.storeObjects(vault)).isSuperset(of: before))
        #expect(CLI.run("verify", "--vault", vault, "--read-data").status == 0)
    }

    @Test("selectors combine with AND; a bare reprocess is a usage error")
    func selectors() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        for (owner, tier, sample) in [("a", "pro", "voice-take-48k16-mono.wav"), ("a", "free", "keys-48k24-stereo.wav"), ("b", "pro", "pad-48k-float32-mono.wav")] {
            #expect(CLI.run("ingest", "--vault", vault, "--owner", owner, "--tier", tier, "--session", "s-\(owner)", CLI.samples + "/" + sample).status == 0)
        }
        func selected(_ arguments: String...) -> Int? {
            (CLI.json(CLI.run(["reprocess", "--vault", vault, "--target-lufs", "-14", "--dry-run", "--json"] + arguments)) as? [String: Any])?["would_reprocess"] as? Int
        }
        #expect(selected("--all") == 3)
        #expect(selected("--owner", "a") == 2)
        #expect(selected("--owner", "a", "--tier", "pro") == 1)
        #expect(selected("--session", "s-b") == 1)
        #expect(selected("--owner", "b", "--tier", "free") == 0)
        #expect(selected("--ingested-before", "2000-01-01") == 0)
        #expect(selected("--ingested-after", "2000-01-01") == 3)
        #expect(selected("--pipeline-older-than", "1") == 0)
        #expect(selected("--pipeline-older-than", "2") == 3)
        #expect(CLI.run("reprocess", "--vault", vault, "--target-lufs", "-14").status == 2)
        // A named take the other selectors exclude is simply not selected; an unknown one is an error.
        let ofA = try #require((CLI.json(CLI.run("ls", "--vault", vault, "--owner", "a", "--json")) as? [[String: Any]])?.first?["take_id"] as? String)
        #expect(selected("--take", ofA, "--owner", "b") == 0)
        #expect(selected("--take", ofA) == 1)
        #expect(CLI.run("reprocess", "--vault", vault, "--take", "0000000000000000000000000000000f", "--dry-run").status == 2)

        // A settings file changes what it names; the rest stays the vault's; a typo is refused.
        let file = directory.write("settings.json", bytes: Array(#"{"opus_bitrate": 96000}"#.utf8))
        let derivation = (CLI.json(CLI.run("reprocess", "--vault", vault, "--all", "--settings", file, "--dry-run", "--json")) as? [String: Any])?["derivation"] as? [String: Any]
        #expect(derivation?["opus_bitrate"] as? Int == 96_000 && derivation?["target_lufs"] as? Double == -16)
        let typo = directory.write("typo.json", bytes: Array(#"{"target_lufts": -14}"#.utf8))
        #expect(CLI.run("reprocess", "--vault", vault, "--all", "--settings", typo, "--dry-run").status == 2)
    }
}
