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

/// Correcting a take's metadata (`PATCH /v1/takes/{take}`, `takevault amend`): a new generation
/// with the corrected facts and the same artefacts; the old values gone from the store unless a
/// hold keeps them; the audit names fields, not values.
@Suite("Relay correction: PATCH /v1/takes/{take}")
struct AmendmentTests {
    static func ingest(_ relay: InProcessRelay, owner: String = "u1", seed: UInt64 = 1) async throws -> String {
        let file = RelayFixtures.take(relay.directory, "take-\(seed).wav", seconds: 0.5, seed: seed)
        let metadata = TakeMetadata(sessionID: "s1", participants: [Participant(id: "wrong-person", role: "bass")], recordedAt: "2026-11-01T10:00:00Z")
        return try await Ingest(vault: relay.vault).run(IngestRequest(path: file.path, owner: owner, tier: .pro, metadata: metadata)).takeID
    }

    @Test("a corrected participant list shows in inspect, export and the summary; the chunk lists are unchanged and the old values are gone", .timeLimit(.minutes(5)))
    func participantsCorrected() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay)
        let before = try await Inspect(vault: relay.vault).run(take: take)
        try await relay.serve { server in
            let correction = Array(#"{"participants": [{"id": "u7", "role": "bass"}, {"id": "u8", "role": "drums"}], "recorded_at": "2026-11-02T09:30:00Z"}"#.utf8)
            let answer = try await server.client.amendTake(take, correction: correction)
            #expect(answer["generation"]?.doubleValue == 2)
            #expect(answer["changed"]?.arrayValue?.compactMap(\.stringValue) == ["participants", "recorded_at"])
            let summary = try await server.client.takeSummary(take)
            #expect(summary["participants"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["u7", "u8"])
            #expect(summary["recorded_at"]?.stringValue == "2026-11-02T09:30:00Z" && summary["generation"]?.doubleValue == 2)
            // The same correction again changes nothing and makes no generation.
            let again = try await server.client.amendTake(take, correction: correction)
            #expect(again["generation"]?.doubleValue == 2 && again["changed"]?.arrayValue == [])
        }
        let after = try await Inspect(vault: relay.vault).run(take: take)
        #expect(after.body.participants == [Participant(id: "u7", role: "bass"), Participant(id: "u8", role: "drums")])
        #expect(after.body.artefacts == before.body.artefacts, "no audio re-encoded, no chunk written")
        #expect(after.body.sessionID == "s1" && after.body.analysis == before.body.analysis)
        let export = try await Export(vault: relay.vault).run(owner: "u1", to: relay.directory.file("export"), withAudio: false)
        #expect(export.takes.first?.participants.map(\.id) == ["u7", "u8"])
        // Generation 1, which holds "wrong-person", is gone from the store.
        let manifests = try await relay.vault.store.list(prefix: ObjectNames.takePrefix(owner: "u1", take: take)).map(\.name)
        #expect(manifests == [ObjectNames.takeKey(owner: "u1", take: take), ObjectNames.manifest(owner: "u1", take: take, generation: 2)])
        let event = try #require(try await relay.vault.catalog.events(owner: "u1").first { $0.kind == "amend" })
        #expect(event.detail == #"{"by":"relay:relay-a","fields":["participants","recorded_at"]}"# && event.takeID == take)
        let report = try await Verify(vault: relay.vault).run(readData: true)
        #expect(report.ok, "\(report.failures)")
    }

    @Test("a held take is corrected but keeps its older generation until the hold is lifted; a session change moves it between session listings", .timeLimit(.minutes(5)))
    func heldTake() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay)
        _ = try await OwnerAdministration(vault: relay.vault).hold(owner: "u1", take: take, reason: "dispute", by: "legal")
        try await relay.serve { server in
            let answer = try await server.client.amendTake(take, correction: Array(#"{"session_id": "s2"}"#.utf8))
            #expect(answer["older_generations_kept"] == .bool(true))
            #expect(try await DeliveryTests.get(server, "/v1/sessions/s1/takes?owner=u1").status == 404)
            #expect(try await server.client.sessionTakes(owner: "u1", session: "s2")["takes"]?.arrayValue?.count == 1)
        }
        func manifests() async throws -> Int {
            try await relay.vault.store.list(prefix: ObjectNames.takePrefix(owner: "u1", take: take)).filter { $0.name.contains("/manifest-") }.count
        }
        #expect(try await manifests() == 2)
        _ = try await OwnerAdministration(vault: relay.vault).liftHolds(owner: "u1", take: take, by: "legal")
        _ = try await Sweep(vault: relay.vault).run(asOf: relay.vault.clock.now(), dryRun: false)
        #expect(try await manifests() == 1, "the sweep retires it once lifted")
    }

    @Test("bad corrections are 400, a body that is not the signed one 401, a take outside the scope 404; nothing changes", .timeLimit(.minutes(5)))
    func refused() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay)
        let outside = try await Self.ingest(relay, owner: "u2", seed: 2)
        try await relay.serve { server in
            for body in [#"{"owner": "u9"}"#, #"{"tier": "studio"}"#, #"{"session_id": "Not An Id"}"#, #"{"recorded_at": "yesterday"}"#,
                         #"{"participants": [{"id": "u7"}]}"#, #"[]"#, #"{}"#, "not json", #"{"daw_transport": 3}"#] {
                do {
                    _ = try await server.client.amendTake(take, correction: Array(body.utf8))
                    Issue.record("accepted \(body)")
                } catch RelayClientError.refused(let status, let code, _) {
                    #expect(status == 400 && code == "metadata_invalid", "\(body)")
                }
            }
            var request = RelayClient.Request(method: .PATCH, path: "/v1/takes/\(take)")
            request.bodySHA256 = RelayClient.sha256(bytes: Array(#"{"session_id": "s9"}"#.utf8))
            request.bytes = Array(#"{"session_id": "s8"}"#.utf8)
            #expect(try await server.client.send(request).failure?.code == "auth_body_mismatch")
            var large = RelayClient.Request(method: .PATCH, path: "/v1/takes/\(take)")
            large.bytes = Array(repeating: 0x20, count: 20_000)
            large.bodySHA256 = RelayClient.sha256(bytes: large.bytes!)
            #expect(try await server.client.send(large).status == 413)
            do {
                _ = try await server.client(RelayFixtures.relayB).amendTake(outside, correction: Array(#"{"session_id": "s2"}"#.utf8))
                Issue.record("amended outside the scope")
            } catch RelayClientError.refused(let status, let code, _) {
                #expect(status == 404 && code == "take_not_found")
            }
        }
        #expect(try await Inspect(vault: relay.vault).run(take: take).header.generation == 1)
        #expect(try await Inspect(vault: relay.vault).run(take: outside).header.generation == 1)
    }
}
