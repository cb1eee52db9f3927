import AudioTestSupport
import Foundation
import RelayAPI
import RelayTestSupport
import TakeArchive
import Testing
import TestSupport

/// On a shared catalog a relay node acknowledges an upload only once it is staged in the store,
/// sealed (FORMAT.md §10): a node that dies after its `202` loses nothing, any node's worker makes
/// the take, and what is staged goes when its job ends, is erased, or is gone.
@Suite("Uploads staged in the store (several nodes)", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required,
                                                              "no PostgreSQL (scripts/test.sh installs and starts one)"))
struct StagedUploadTests {
    /// Nodes of one vault: folders of one directory, one catalog, one store folder, one master key.
    struct SharedVault {
        let directory = TestDirectory()
        let environment: [String: String]
        let catalog: String
        var store: String { directory.file("store") }

        init() throws {
            let server = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
            catalog = try #require(server.freshDatabase("staging"))
            let key = directory.write("master.key", bytes: MasterKey.generate().fileContents())
            chmod(key, 0o600)
            environment = ["TAKEVAULT_CATALOG_PASSWORD": server.password, "TAKEVAULT_MASTER_KEY_FILE": key]
        }

        func node(_ name: String, workers: Int) throws -> RelayTestServer {
            try RelayTestServer(["--workers", String(workers), "--node", name], directory: directory, environment: environment,
                                vaultName: "node-" + name, initArguments: ["--store", store, "--catalog", catalog])
        }

        /// A command on this vault, waited for off the concurrency pool (``offPool``).
        func cli(_ arguments: [String]) async -> ProcessResult {
            let command = environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments
            return await offPool { run("/usr/bin/env", command) }
        }

        /// The staged objects of `owner` (of one job with `job`), as names under the owner's staging folder.
        func staged(owner: String, job: String? = nil) -> [String] {
            let folder = store + "/" + StagingNames.ownerPrefix(owner) + (job.map { $0 + "/" } ?? "")
            let names = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
            return names.filter { (try? FileManager.default.attributesOfItem(atPath: folder + $0)[.type] as? FileAttributeType) == .typeRegular }.sorted()
        }
    }

    /// Waits (up to `seconds`) for job `id` to reach a final state through `server`.
    func finished(_ id: String, via server: RelayTestServer, seconds: Double = 120) async throws -> JobDocument? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let job = try? await server.client.job(id), job.isFinal { return job }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    @Test("a node that dies after its 202 loses nothing: the upload is in the store, sealed, and another node makes the take",
          .timeLimit(.minutes(5)))
    func anotherNodeMakesTheTake() async throws {
        let vault = try SharedVault()
        let accepting = try vault.node("a", workers: 0)
        let upload = RelayFixtures.take(vault.directory, "take.wav", seconds: 3)
        let accepted = try await accepting.client.upload(file: upload.path, metadata: UploadMetadata(owner: "u1", tier: .pro),
                                                         idempotencyKey: "staged-1", patience: .seconds(60))

        // Acknowledged: staged whole (a seal and its segment), no copy in the accepting node's spool,
        // and no stretch of the audio readable in the store.
        let staged = vault.staged(owner: "u1", job: accepted.jobID)
        #expect(staged == ["seal", "segment-00000000"], "\(staged)")
        #expect(accepting.spoolFiles().isEmpty, "the accepting node keeps no copy: \(accepting.spoolFiles())")
        let audio = Data(readBytes(upload.path))
        let window = audio.subdata(in: (audio.count / 2)..<(audio.count / 2 + 64))
        let segment = Data(readBytes(vault.store + "/" + StagingNames.segment(owner: "u1", job: accepted.jobID, index: 0)))
        #expect(segment.count == audio.count + StagedUploadFormat.segmentOverhead)
        #expect(segment.range(of: window) == nil, "the staged segment holds the audio in the clear")

        // The node dies; another, which never saw the upload, makes the take.
        accepting.crash()
        let working = try vault.node("b", workers: 1)
        defer { _ = working.stop() }
        let job = try await finished(accepted.jobID, via: working)
        #expect(job?.state == .done, "\(String(describing: job))")
        let take = try #require(job?.takeID)
        let restored = vault.directory.file("master.flac")
        #expect(await vault.cli(["restore", "--vault", working.vault, take, "--artefact", "master", "-o", restored]).status == 0)
        #expect(try flacSamples(restored) == upload.samples, "the take restores bit-exact")
        #expect(vault.staged(owner: "u1").isEmpty, "the staged upload goes once its take is made")
        #expect(working.spoolFiles().isEmpty, "the working node's fetched copy goes too")

        // A retry of the acknowledged upload through the other node is the same job.
        let retried = try await working.client.upload(file: upload.path, metadata: UploadMetadata(owner: "u1", tier: .pro),
                                                      idempotencyKey: "staged-1", patience: .seconds(60))
        #expect(retried.jobID == accepted.jobID)
        #expect(await vault.cli(["verify", "--vault", working.vault, "--read-data"]).status == 0)
    }

    @Test("a tampered staged upload fails its job and is kept; the sweep removes only what no job needs; an erasure removes the owner's",
          .timeLimit(.minutes(5)))
    func tamperingSweepAndErasure() async throws {
        let vault = try SharedVault()
        let accepting = try vault.node("a", workers: 0)
        defer { _ = accepting.stop() }
        let first = RelayFixtures.take(vault.directory, "first.wav", seconds: 2).path
        let second = RelayFixtures.take(vault.directory, "second.wav", seconds: 2, seed: 2).path
        let tampered = try await accepting.client.upload(file: first, metadata: UploadMetadata(owner: "u2", tier: .free), idempotencyKey: "t-1",
                                                         patience: .seconds(60))

        // One byte of the staged segment flipped: the job fails with the reason, nothing is made of it.
        let segmentPath = vault.store + "/" + StagingNames.segment(owner: "u2", job: tampered.jobID, index: 0)
        var bytes = readBytes(segmentPath)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: segmentPath))
        // An upload that is not whole audio (its data cut short) is rejected, and its staged copy is
        // its quarantine: nothing in the working node's own folder, where an erasure run on another
        // node would not reach. An upload whose seal is gone fails, with the reason, at once.
        let audio = readBytes(first)
        let broken = vault.directory.write("broken.wav", bytes: Array(audio.prefix(audio.count / 2)))
        let rejected = try await accepting.client.upload(file: broken, metadata: UploadMetadata(owner: "u3", tier: .free), idempotencyKey: "t-3",
                                                         patience: .seconds(60))
        let unsealed = try await accepting.client.upload(file: second, metadata: UploadMetadata(owner: "u4", tier: .free), idempotencyKey: "t-4",
                                                         patience: .seconds(60))
        try FileManager.default.removeItem(atPath: vault.store + "/" + StagingNames.seal(owner: "u4", job: unsealed.jobID))
        let working = try vault.node("b", workers: 1)
        let failed = try await finished(tampered.jobID, via: working)
        #expect(failed?.state == .failed && failed?.error?.code == "authentication_failed", "\(String(describing: failed))")
        #expect(vault.staged(owner: "u2", job: tampered.jobID) == ["seal", "segment-00000000"], "a failed job keeps its upload")
        let refused = try await finished(rejected.jobID, via: working)
        #expect(refused?.state == .rejected, "\(String(describing: refused))")
        #expect(vault.staged(owner: "u3", job: rejected.jobID) == ["seal", "segment-00000000"], "the rejected upload stays staged, sealed")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: working.vault + "/quarantine")) ?? []).isEmpty)
        let missing = try await finished(unsealed.jobID, via: working)
        #expect(missing?.state == .failed && missing?.error?.code == "staged_upload_missing", "\(String(describing: missing))")
        #expect(working.stop() == 0)
        // With no worker left, the next upload stays queued.
        let waiting = try await accepting.client.upload(file: second, metadata: UploadMetadata(owner: "u3", tier: .free), idempotencyKey: "t-2",
                                                        patience: .seconds(60))

        // A staged upload whose job is gone (copied under another job id here) and one never
        // acknowledged (segments without a seal), both past the grace period, go with the sweep;
        // the failed job's and the queued job's, as old, stay.
        let owner2 = vault.store + "/" + StagingNames.ownerPrefix("u2")
        let gone = "job_gone0000000000000000000000"
        let abandoned = "job_abandoned00000000000000000"
        try FileManager.default.copyItem(atPath: owner2 + tampered.jobID, toPath: owner2 + gone)
        try FileManager.default.createDirectory(atPath: owner2 + abandoned, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: segmentPath, toPath: owner2 + abandoned + "/segment-00000000")
        for tags in [gone + "/seal", gone + "/segment-00000000", abandoned + "/segment-00000000"] {
            let source = vault.store + "/.tags/" + StagingNames.uploadPrefix(owner: "u2", job: tampered.jobID) + tags.split(separator: "/").last!
            let target = vault.store + "/.tags/" + StagingNames.ownerPrefix("u2") + tags
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: source, toPath: target)
        }
        let old = Date().addingTimeInterval(-3 * 86_400)
        for folder in [vault.store + "/" + StagingNames.root] {
            for case let name as String in FileManager.default.enumerator(atPath: folder)! {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + name)
            }
        }
        let swept = await vault.cli(["sweep", "--vault", accepting.vault, "--json"])
        #expect(swept.status == 0, "\(swept.standardError)")
        #expect(vault.staged(owner: "u2").sorted() == ["\(tampered.jobID)/seal", "\(tampered.jobID)/segment-00000000"],
                "\(vault.staged(owner: "u2")) after \(swept.standardOutput)")
        #expect(vault.staged(owner: "u3", job: waiting.jobID) == ["seal", "segment-00000000"])
        #expect(vault.staged(owner: "u3", job: rejected.jobID) == ["seal", "segment-00000000"], "kept for the quarantine period")

        // Erasure takes the owner's staged uploads — waiting and quarantined — with everything else.
        let erased = await vault.cli(["owner", "erase", "u3", "--vault", accepting.vault])
        #expect(erased.status == 0, "\(erased.standardError)")
        #expect(vault.staged(owner: "u3").isEmpty)

        // The shared store's folder gone (unmounted, moved): uploads are refused, and no node makes
        // the folder afresh on its own disk.
        try FileManager.default.moveItem(atPath: vault.store, toPath: vault.store + ".away")
        do {
            _ = try await accepting.client.upload(file: second, metadata: UploadMetadata(owner: "u5", tier: .free), idempotencyKey: "t-5", patience: .zero)
            Issue.record("an upload was acknowledged with the store's folder gone")
        } catch let error as RelayClientError {
            #expect(error == .busy(seconds: 0), "503 with Retry-After: \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: vault.store))
        try FileManager.default.moveItem(atPath: vault.store + ".away", toPath: vault.store)
    }
}
