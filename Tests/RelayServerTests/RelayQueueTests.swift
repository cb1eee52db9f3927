import Foundation
import RelayAPI
@testable import RelayServer
import RelayTestSupport
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// Nothing acknowledged is lost: jobs that fail for a reason that may pass are retried for as long
/// as their upload is kept, a restricted owner's jobs wait parked, an operator's cancel and a spool
/// file without a job both end in quarantine, never deleted.
@Suite("Relay queue: retries, parking, cancelling")
struct RelayQueueTests {
    /// Polls job `id` (every 20 ms) until `done` says so; returns the last answer.
    static func poll(_ client: RelayClient, _ id: String, until done: (JobDocument) -> Bool) async throws -> JobDocument {
        while true {
            let job = try await client.job(id)
            if done(job) { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The quarantine folders' reason codes and files.
    static func quarantined(_ vault: Vault) throws -> [(code: String, files: [String])] {
        let root = vault.root + "/quarantine"
        return try FileManager.default.contentsOfDirectory(atPath: root).sorted().map { folder in
            let reason = try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: URL(fileURLWithPath: root + "/" + folder + "/reason.json")))
            return (reason["code"]?.stringValue ?? "?", try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).sorted())
        }
    }

    @Test("a job whose attempts fail while the store is away is retried past any fixed count, with its upload kept, and archived once the store is back; uploads meanwhile get 503", .timeLimit(.minutes(5)))
    func retriedWhileStoreAway() async throws {
        let relay = try InProcessRelay { $0.retryBaseSeconds = 1; $0.retryCapSeconds = 1 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let other = RelayFixtures.take(relay.directory, "other.wav", seconds: 1, seed: 2)
        // Acknowledged (staged in the store) while no worker runs.
        let accepted = try await relay.adjusted { $0.workers = 0 }.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "outage")
        }
        // The local store's folder replaced by a file: every read and write fails as an unreachable store's would.
        let store = relay.vault.root + "/store", away = relay.vault.root + "/store.away"
        #expect(rename(store, away) == 0)
        _ = relay.directory.write("vault/store", bytes: Array("not a folder".utf8))
        try await relay.serve { server in
            let refused = try await server.client.send(try RelayFixtures.uploadRequest(other.path))
            #expect(refused.status == 503 && refused.failure?.code == "store_unavailable" && refused.headers.first(name: "Retry-After") != nil,
                    "nothing is acknowledged that is not staged")
            let retrying = try await Self.poll(server.client, accepted.jobID) { $0.attempts >= 5 && $0.state == .queued }
            #expect(retrying.error != nil && retrying.retryAt != nil, "a retried job says what failed and when it is tried again")
            #expect(RelayFixtures.heldUploads(vault: relay.vault.root, store: away) == ["staged/u1/" + accepted.jobID], "the upload is kept while the job is retried")
            #expect(try await server.get("/readyz").status == 503, "not ready while the store is away")
            // (Between two attempts, or in one: the worker claims it again every second.)
            #expect(try await RelayJobQueue(vault: relay.vault).list(states: [.queued, .processing]).map(\.jobID) == [accepted.jobID])

            #expect(unlink(store) == 0 && rename(away, store) == 0)
            #expect(try await server.get("/readyz").status == 200)
            let done = try await server.client.waitForJob(accepted.jobID, interval: .milliseconds(20))
            #expect(done.state == .done && done.attempts >= 6)
            #expect(try await server.takes().count == 1)
            #expect(await server.heldUploadsOnceSettled().isEmpty)
        }
    }

    @Test("the retry delay doubles per failed attempt up to its cap, without overflow")
    func retryDelay() {
        var configuration = RelayConfiguration()
        configuration.retryBaseSeconds = 1
        configuration.retryCapSeconds = 300
        #expect((1...12).map { configuration.retryDelaySeconds(afterAttempts: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300])
        #expect(configuration.retryDelaySeconds(afterAttempts: Int.max) == 300)
        #expect(configuration.retryDelaySeconds(afterAttempts: 0) == 1)
    }

    @Test("a job whose owner is restricted before it is processed is parked with its upload, and archived once the restriction is lifted", .timeLimit(.minutes(5)))
    func restrictedOwnerParked() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let earlier = RelayFixtures.take(relay.directory, "earlier.wav", seconds: 1, seed: 2)
        _ = try await Ingest(vault: relay.vault).run(IngestRequest(path: earlier.path, owner: "u5", tier: .pro))
        let jobID = try await relay.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u5", tier: .pro), idempotencyKey: "parked").jobID
        }
        try await OwnerAdministration(vault: relay.vault).restrict(owner: "u5")
        try await relay.adjusted { $0.workers = 1 }.serve { server in
            let parked = try await server.client.waitForJob(jobID, interval: .milliseconds(20))
            #expect(parked.state == .parked && parked.reason?.code == "owner_restricted")
            #expect(server.heldUploads().count == 1, "a parked job keeps its upload")
            #expect(try await server.takes().count == 1)

            try await OwnerAdministration(vault: relay.vault).restrict(owner: "u5", lift: true)
            let done = try await Self.poll(server.client, jobID) { $0.isFinal }
            #expect(done.state == .done)
            #expect(try await server.takes().count == 2)
            #expect(await server.heldUploadsOnceSettled().isEmpty)
        }
    }

    @Test("an erasure deletes the owner's parked jobs with their uploads", .timeLimit(.minutes(5)))
    func erasureDeletesParked() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let earlier = RelayFixtures.take(relay.directory, "earlier.wav", seconds: 1, seed: 2)
        _ = try await Ingest(vault: relay.vault).run(IngestRequest(path: earlier.path, owner: "u6", tier: .pro))
        let parkedID = try await relay.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u6", tier: .pro), idempotencyKey: "to-park").jobID
        }
        try await OwnerAdministration(vault: relay.vault).restrict(owner: "u6")
        let parked = try await relay.adjusted { $0.workers = 1 }.serve { server in
            try await server.client.waitForJob(parkedID, interval: .milliseconds(20))
        }
        #expect(parked.state == .parked)
        let queue = RelayJobQueue(vault: relay.vault)
        #expect(try await queue.list(states: [.parked]).map(\.jobID) == [parkedID])
        #expect(RelayFixtures.heldUploads(vault: relay.vault.root).count == 1)
        _ = try await Erasure(vault: relay.vault).erase(owner: "u6")
        #expect(try await queue.list(states: JobState.allCases).isEmpty)
        #expect(RelayFixtures.heldUploads(vault: relay.vault.root).isEmpty)
    }

    @Test("an operator cancels a waiting job: it ends failed (cancelled), its upload stays staged as its quarantine, no worker takes it", .timeLimit(.minutes(5)))
    func cancelWaitingJob() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let jobID = try await relay.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro, fileName: "bass.wav"), idempotencyKey: "c1").jobID
        }
        let queue = RelayJobQueue(vault: relay.vault)
        #expect(try await queue.list(states: [.queued]).map(\.jobID) == [jobID])
        let cancelled = try await queue.cancel(jobID, by: "ops")
        #expect(cancelled.state == .failed && cancelled.error?.code == "cancelled")
        #expect(RelayFixtures.heldUploads(vault: relay.vault.root) == ["staged/u1/" + jobID], "kept, sealed, as its quarantine")
        #expect(try Self.quarantined(relay.vault).isEmpty, "nothing in the clear in the quarantine folder")
        // An operator gets it out as it was sent; the audit log says who did.
        let exported = relay.directory.file("exported.wav")
        let sent = try Data(contentsOf: URL(fileURLWithPath: take.path))
        #expect(try await queue.exportUpload(jobID, to: exported, by: "ops") == Int64(sent.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: exported)) == sent)
        #expect(try await relay.vault.catalog.events(owner: "u1").contains { $0.kind == "upload_exported" && $0.detail.contains("\"by\":\"ops\"") })
        await #expect(throws: (any Error).self, "never over an existing file") { try await queue.exportUpload(jobID, to: exported, by: "ops") }
        await #expect(throws: RelayJobQueue.Refusal.notWaiting(job: jobID, state: .failed)) { _ = try await queue.cancel(jobID, by: "ops") }
        await #expect(throws: RelayJobQueue.Refusal.notFound("job_nope")) { _ = try await queue.cancel("job_nope", by: "ops") }
        // A restart with a worker neither runs nor re-queues it: the one worker takes jobs oldest
        // first, so a newer upload finishing means the cancelled one was passed over.
        let later = RelayFixtures.take(relay.directory, "later.wav", seconds: 1, seed: 3)
        try await relay.adjusted { $0.workers = 1 }.serve { server in
            let next = try await server.client.upload(file: later.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "c2")
            #expect(try await server.client.waitForJob(next.jobID, interval: .milliseconds(20)).state == .done)
            #expect(try await server.client.job(jobID).state == .failed)
            #expect(try await server.takes().count == 1)
        }
    }

    @Test("an acknowledged upload is sealed at rest: no file of the vault holds its bytes in the clear, waiting or given up")
    func acknowledgedUploadSealedAtRest() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 2, seed: 11)
        let sent = try Array(Data(contentsOf: URL(fileURLWithPath: take.path)))
        // 64 bytes from the middle of the audio: noise, found nowhere by chance.
        let probe = Array(sent[(sent.count / 2)..<(sent.count / 2 + 64)])
        let jobID = try await relay.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "at-rest").jobID
        }
        #expect(RelayFixtures.heldUploads(vault: relay.vault.root) == ["staged/u1/" + jobID])
        #expect(try Self.filesHolding(probe, under: relay.vault.root).isEmpty, "waiting")
        _ = try await RelayJobQueue(vault: relay.vault).cancel(jobID, by: "ops")
        #expect(try Self.filesHolding(probe, under: relay.vault.root).isEmpty, "cancelled, kept as its quarantine")
        // The quarantine period over (the staged objects aged past it), the sweep lets it go.
        let old = Date().addingTimeInterval(-31 * 86_400)
        let staged = relay.vault.root + "/store/" + StagingNames.uploadPrefix(owner: "u1", job: jobID)
        for name in try FileManager.default.contentsOfDirectory(atPath: staged) {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: staged + name)
        }
        _ = try await Sweep(vault: relay.vault).run(asOf: Date(), dryRun: false)
        #expect(RelayFixtures.heldUploads(vault: relay.vault.root).isEmpty)
    }

    /// Regular files under `root` whose bytes contain `needle`.
    static func filesHolding(_ needle: [UInt8], under root: String) throws -> [String] {
        let files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return try files.filter { name in
            let path = root + "/" + name
            guard (try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular else { return false }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            return bytes.range(of: Data(needle)) != nil
        }
    }

    @Test("the sweep never deletes a job's row while its upload is staged")
    func sweepKeepsJobWithUpload() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let jobID = try await relay.serve { server in
            try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "old").jobID
        }
        // Given up as versions before retries did after three attempts: failed, upload kept.
        var job = try #require(try await relay.vault.catalog.job(jobID))
        job.state = .failed
        try await relay.vault.catalog.updateJob(job)
        let later = Date().addingTimeInterval(60 * 86_400)
        _ = try await Sweep(vault: relay.vault).run(asOf: later, dryRun: false)
        #expect(try await relay.vault.catalog.job(jobID) != nil, "kept: its upload is still staged")
        try await UploadStaging(vault: relay.vault).remove(owner: "u1", job: jobID)
        _ = try await Sweep(vault: relay.vault).run(asOf: later, dryRun: false)
        #expect(try await relay.vault.catalog.job(jobID) == nil)
    }

    @Test("at start, a spooled upload no job names goes to quarantine with its reason, never deleted")
    func spoolWithoutJobQuarantined() async throws {
        let relay = try InProcessRelay()
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        try FileManager.default.createDirectory(atPath: relay.vault.spool.acceptedDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: take.path, toPath: relay.vault.spool.acceptedPath(job: "job_lost"))
        try await relay.serve { server in
            #expect(server.heldUploads().isEmpty)
        }
        let kept = try Self.quarantined(relay.vault)
        #expect(kept.count == 1 && kept.first?.code == "spool_without_job" && kept.first?.files == ["job_lost.upload", "reason.json"])
    }
}
