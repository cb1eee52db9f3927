import AudioTestSupport
import Foundation
import ObjectStore
import RelayAPI
@testable import RelayServer
import RelayTestSupport
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// Deleting takes and sessions through the relay (docs/RELAY.md, "Deletion"): what is deleted is
/// gone from the catalog, the store, restore, verify and export; the rest is untouched; holds
/// refuse it; the relay's scope bounds it; the audit keeps who asked and nothing of the take.
@Suite("Relay deletion: takes and sessions")
struct DeletionTests {
    static func ingest(_ relay: InProcessRelay, _ name: String, owner: String = "u1", session: String?, seed: UInt64) async throws -> String {
        let file = RelayFixtures.take(relay.directory, name, seconds: 0.5, seed: seed)
        return try await Ingest(vault: relay.vault).run(IngestRequest(path: file.path, owner: owner, tier: .studio,
                                                                      metadata: TakeMetadata(sessionID: session))).takeID
    }

    /// Every object name in the store.
    static func storeObjects(_ vault: Vault) async throws -> Set<String> {
        Set(try await vault.store.list(prefix: ObjectNames.root).map(\.name))
    }

    /// The object names a take's current manifest uses (itself and its chunks).
    static func objects(of take: String, in vault: Vault) async throws -> Set<String> {
        let manifest = try await Inspect(vault: vault).run(take: take)
        var names: Set<String> = [manifest.name]
        for artefact in manifest.body.artefacts {
            for chunk in artefact.chunks { names.insert(ObjectNames.chunk(owner: manifest.header.owner, id: chunk.id)) }
        }
        return names
    }

    @Test("a studio session of three takes deleted: nothing of them in ls, restore, verify, export or the store; the other session untouched", .timeLimit(.minutes(5)))
    func sessionDeleted() async throws {
        let relay = try InProcessRelay()
        var band: [String] = []
        for index in 0..<3 { band.append(try await Self.ingest(relay, "band\(index).wav", session: "band", seed: UInt64(index + 1))) }
        let solo = try await Self.ingest(relay, "solo.wav", session: "solo", seed: 7)
        let takes = band
        var doomed = Set<String>()
        for take in band { doomed.formUnion(try await Self.objects(of: take, in: relay.vault)) }
        let soloObjects = try await Self.objects(of: solo, in: relay.vault)

        try await relay.serve { server in
            let answer = try await server.client.deleteSession("band", owner: "u1")
            #expect(answer["takes"]?.doubleValue == 3)
            #expect(Set(answer["deleted"]?.arrayValue?.first?["takes"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(takes))
            // Gone through the API too, and a second delete finds nothing.
            #expect(try await DeliveryTests.get(server, "/v1/takes/\(takes[0])").status == 404)
            await #expect(throws: RelayClientError.self) { _ = try await server.client.deleteSession("band", owner: "u1") }
        }
        #expect(try await relay.vault.catalog.takes(owner: "u1").map(\.id) == [solo])
        let left = try await Self.storeObjects(relay.vault)
        #expect(left.isDisjoint(with: doomed), "left: \(left.intersection(doomed))")
        #expect(soloObjects.isSubset(of: left))
        for take in band {
            await #expect(throws: PipelineError.takeNotFound(take)) {
                _ = try await Restore(vault: relay.vault).run(take: take, artefact: .master, to: relay.directory.file("x.flac"))
            }
        }
        _ = try await Restore(vault: relay.vault).run(take: solo, artefact: .master, to: relay.directory.file("solo.flac"))
        let report = try await Verify(vault: relay.vault).run(readData: true)
        #expect(report.ok && report.takesChecked == 1, "\(report.failures)")
        let export = try await Export(vault: relay.vault).run(owner: "u1", to: relay.directory.file("export"), withAudio: false)
        #expect(export.takes.map(\.takeID) == [solo])
        // The audit: who asked, per take that it was deleted on request — no session, file or metadata.
        let events = try await relay.vault.catalog.events(owner: "u1")
        let request = try #require(events.first { $0.kind == "deletion_requested" })
        #expect(request.detail == #"{"by":"relay:relay-a","takes":3}"#)
        let perTake = events.filter { $0.kind == "delete_take" }
        #expect(Set(perTake.compactMap(\.takeID)) == Set(band))
        #expect(perTake.allSatisfy { !$0.detail.contains("band") && !$0.detail.contains(".wav") })
    }

    @Test("a held take or owner is refused with 409 and its code, then deleted once the hold is lifted; a restricted owner's take is deleted", .timeLimit(.minutes(5)))
    func holdsAndRestriction() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay, "a.wav", session: "s", seed: 1)
        let other = try await Self.ingest(relay, "b.wav", session: "s", seed: 2)
        let administration = OwnerAdministration(vault: relay.vault)
        _ = try await administration.hold(owner: "u1", take: take, reason: "investigation", by: "legal")
        try await relay.serve { server in
            do {
                _ = try await server.client.deleteTake(take)
                Issue.record("a held take was deleted")
            } catch RelayClientError.refused(let status, let code, let message) {
                #expect(status == 409 && code == "take_held" && message.contains("investigation"))
            }
            do {
                _ = try await server.client.deleteSession("s", owner: "u1")
                Issue.record("a session with a held take was deleted")
            } catch RelayClientError.refused(let status, let code, _) {
                #expect(status == 409 && code == "take_held")
            }
            #expect(try await relay.vault.catalog.takes(owner: "u1").count == 2, "nothing of the session was deleted")
            _ = try await administration.liftHolds(owner: "u1", take: take, by: "legal")
            _ = try await administration.hold(owner: "u1", reason: "litigation", by: "legal")
            do {
                _ = try await server.client.deleteTake(other)
                Issue.record("a take of a held owner was deleted")
            } catch RelayClientError.refused(let status, let code, _) {
                #expect(status == 409 && code == "owner_held")
            }
            _ = try await administration.liftHolds(owner: "u1", by: "legal")
            try await administration.restrict(owner: "u1")
            #expect(try await server.client.deleteTake(take)["takes"]?.doubleValue == 1, "restriction limits processing, not erasure")
            #expect(try await relay.vault.catalog.takes(owner: "u1").map(\.id) == [other])
        }
    }

    @Test("outside the relay's scope, unknown, or unsigned: 404 or 401 and nothing deleted", .timeLimit(.minutes(5)))
    func scope() async throws {
        let relay = try InProcessRelay()
        let outside = try await Self.ingest(relay, "a.wav", owner: "u2", session: "s", seed: 1)
        try await relay.serve { server in
            let relayB = server.client(RelayFixtures.relayB)
            for call in [{ try await relayB.deleteTake(outside) }, { try await relayB.deleteTake(String(repeating: "0", count: 32)) }] {
                do {
                    _ = try await call()
                    Issue.record("deleted")
                } catch RelayClientError.refused(let status, let code, _) {
                    #expect(status == 404 && code == "take_not_found")
                }
            }
            for session in [("s", "u2"), ("nope", "u1"), ("s", "unknown-owner")] {
                do {
                    _ = try await relayB.deleteSession(session.0, owner: session.1)
                    Issue.record("deleted")
                } catch RelayClientError.refused(let status, let code, _) {
                    #expect(status == 404 && code == "session_not_found", "\(session)")
                }
            }
            let unsigned = try await server.client.send(RelayClient.Request(method: .DELETE, path: "/v1/takes/\(outside)"), headers: [])
            #expect(unsigned.status == 401)
        }
        #expect(try await relay.vault.catalog.takes(owner: "u2").map(\.id) == [outside])
    }

    @Test("a deleted take uploaded again is a new take, whole, with a fresh retention", .timeLimit(.minutes(5)))
    func reuploadAfterDelete() async throws {
        let relay = try InProcessRelay()
        let file = RelayFixtures.take(relay.directory, "a.wav", seconds: 0.5, seed: 3)
        let first = try await Ingest(vault: relay.vault).run(IngestRequest(path: file.path, owner: "u1", tier: .pro))
        _ = try await TakeDeletion(vault: relay.vault).delete(takes: [first.takeID], by: "test")
        let again = try await Ingest(vault: relay.vault).run(IngestRequest(path: file.path, owner: "u1", tier: .pro))
        #expect(again.created, "not an already-archived take: a new one")
        let record = try #require(try await relay.vault.catalog.take(again.takeID))
        let deletion = try await relay.vault.catalog.events(owner: "u1").first { $0.kind == "deletion_requested" }
        #expect(record.generation == 1 && record.ingestedAt >= (deletion?.at ?? "~"))
        let restored = relay.directory.file("again.flac")
        _ = try await Restore(vault: relay.vault).run(take: again.takeID, artefact: .master, to: restored)
        #expect(try flacSamples(restored) == file.samples)
    }

    @Test("a deleted take's relay job is forgotten: the same upload retried with the same key makes the take again", .timeLimit(.minutes(5)))
    func retryAfterDeleteMakesTakeAgain() async throws {
        let relay = try InProcessRelay()
        let file = RelayFixtures.take(relay.directory, "a.wav", seconds: 0.5, seed: 4)
        try await relay.serve { server in
            let metadata = UploadMetadata(owner: "u1", tier: .studio, sessionID: "s1")
            let first = try await server.client.upload(file: file.path, metadata: metadata, idempotencyKey: "same-key")
            let done = try await server.client.waitForJob(first.jobID, interval: .milliseconds(20))
            let take = try #require(done.takeID)
            _ = try await server.client.deleteTake(take)
            // The job that made it is gone with it (it named the take and kept the upload's metadata).
            #expect(try await DeliveryTests.get(server, "/v1/jobs/\(first.jobID)").status == 404)
            let again = try await server.client.upload(file: file.path, metadata: metadata, idempotencyKey: "same-key")
            #expect(again.jobID != first.jobID && !again.duplicate)
            let redone = try await server.client.waitForJob(again.jobID, interval: .milliseconds(20))
            #expect(redone.state == .done && redone.takeID == take)
            #expect(try await DeliveryTests.get(server, "/v1/takes/\(take)/artefacts/master").status == 200)
        }
    }

    @Test("a session cursor from another session or owner is refused", .timeLimit(.minutes(5)))
    func cursorBound() async throws {
        let relay = try InProcessRelay()
        for index in 0..<3 { _ = try await Self.ingest(relay, "a\(index).wav", session: "s1", seed: UInt64(index + 1)) }
        _ = try await Self.ingest(relay, "b.wav", session: "s2", seed: 9)
        try await relay.serve { server in
            let page = try await server.client.sessionTakes(owner: "u1", session: "s1", limit: 1)
            let next = try #require(page["next"]?.stringValue)
            #expect(try await DeliveryTests.get(server, "/v1/sessions/s1/takes?owner=u1&after=\(next)").status == 200)
            let elsewhere = try await DeliveryTests.get(server, "/v1/sessions/s2/takes?owner=u1&after=\(next)")
            #expect(elsewhere.status == 400 && elsewhere.failure?.code == "cursor_invalid")
        }
    }

    @Test("a job recorded done after its take was deleted (the two raced) does not swallow a retry: the upload is made anew", .timeLimit(.minutes(5)))
    func jobFinishedAfterDelete() async throws {
        let relay = try InProcessRelay()
        let file = RelayFixtures.take(relay.directory, "a.wav", seconds: 0.5, seed: 5)
        try await relay.serve { server in
            let metadata = UploadMetadata(owner: "u1", tier: .pro)
            let first = try await server.client.upload(file: file.path, metadata: metadata, idempotencyKey: "raced")
            let done = try await server.client.waitForJob(first.jobID, interval: .milliseconds(20))
            let take = try #require(done.takeID)
            let job = try #require(try await relay.vault.catalog.job(first.jobID))
            _ = try await TakeDeletion(vault: relay.vault).delete(takes: [take], by: "test")
            // As if the worker had recorded the job done just after the deletion forgot it.
            #expect(try await relay.vault.catalog.insertJob(job) == .inserted(job))
            let again = try await server.client.upload(file: file.path, metadata: metadata, idempotencyKey: "raced")
            #expect(!again.duplicate && again.jobID != first.jobID)
            #expect(try await server.client.waitForJob(again.jobID, interval: .milliseconds(20)).takeID == take)
            #expect(try await relay.vault.catalog.take(take) != nil)
        }
    }
}
