import AudioTestSupport
import Foundation
import RelayAPI
import RelayServer
import RelayTestSupport
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// The relay's authentication, idempotency, limits and status answers, against the application in
/// this process (``InProcessRelay``). What only a process shows — kill -9, SIGTERM, exit codes,
/// `push` — stays in TakevaultCLITests.
@Suite("relay server in-process")
struct RelayInProcessTests {
    @Test("unsigned, wrong-secret, unknown, stale, replayed, tampered and body-swapped requests get 401 and keep nothing")
    func forgeriesRefused() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let upload = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let other = RelayFixtures.take(relay.directory, "other.wav", seconds: 1, seed: 2)
        try await relay.serve { server in
            let client = server.client
            func expectRefused(_ answer: RelayClient.Answer, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(answer.status == 401, sourceLocation: sourceLocation)
                #expect(answer.failure?.code == code, "\(String(decoding: answer.body, as: UTF8.self))", sourceLocation: sourceLocation)
            }

            var request = try RelayFixtures.uploadRequest(upload.path)
            expectRefused(try await client.send(request, headers: []), "auth_missing")
            let wrongSecret = RelayCredentials(keyID: RelayFixtures.relayA.keyID, secret: Array("not-the-secret-0123456789abcdef0123456789".utf8))
            expectRefused(try await server.client(wrongSecret).send(request), "auth_invalid_signature")
            let unknown = RelayCredentials(keyID: "relay-z", secret: RelayFixtures.relayA.secret)
            expectRefused(try await server.client(unknown).send(request), "auth_invalid_signature")

            var stale = request
            stale.timestamp -= 600
            expectRefused(try await client.send(stale), "auth_stale")

            // Metadata changed after signing: another owner would get the take.
            let forgedMetadata = try UploadMetadata(owner: "mallory", tier: .studio).headerValue()
            let forged = client.headers(for: request).map { $0.0 == RelayHeaders.metadata ? ($0.0, forgedMetadata) : $0 }
            expectRefused(try await client.send(request, headers: forged), "auth_invalid_signature")

            // Signed for one body, sent with another.
            var swapped = request
            swapped.nonce = RelayClient.newNonce()
            let swappedHeaders = client.headers(for: swapped)
            swapped.file = other.path
            expectRefused(try await client.send(swapped, headers: swappedHeaders), "auth_body_mismatch")
            #expect(server.heldUploads().isEmpty)

            // A genuine request is accepted once; the same request replayed is refused.
            request.nonce = RelayClient.newNonce()
            let genuine = client.headers(for: request)
            #expect(try await client.send(request, headers: genuine).status == 202)
            expectRefused(try await client.send(request, headers: genuine), "auth_replayed")
            #expect(server.heldUploads().count == 1, "only the genuine upload is spooled")
        }
    }

    @Test("an idempotent retry returns the same job; the same key with another body is 409; relays' keys are their own")
    func idempotency() async throws {
        let relay = try InProcessRelay()
        let upload = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        let other = RelayFixtures.take(relay.directory, "other.wav", seconds: 1, seed: 3)
        try await relay.serve { server in
            let metadata = UploadMetadata(owner: "u1", tier: .free, fileName: "take.wav")
            let first = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
            let retry = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
            #expect(!first.duplicate && retry.duplicate && retry.jobID == first.jobID)
            await #expect(throws: RelayClientError.self) {
                try await server.client.upload(file: other.path, metadata: metadata, idempotencyKey: "take-1")
            }
            let conflict = try await server.client.send(try RelayFixtures.uploadRequest(other.path, key: "take-1"))
            #expect(conflict.status == 409 && conflict.failure?.code == "idempotency_conflict")
            let done = try await server.client.waitForJob(first.jobID, interval: .milliseconds(20))
            #expect(done.state == .done)
            // Another relay's keys are its own: the same key there is a new job.
            let relayB = server.client(RelayFixtures.relayB)
            let fromB = try await relayB.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
            #expect(fromB.jobID != first.jobID)
            let doneB = try await relayB.waitForJob(fromB.jobID, interval: .milliseconds(20))
            #expect(doneB.takeID != nil && doneB.takeID != done.takeID, "relay B's upload is its own take: it never learns relay A's take id")
            #expect(doneB.alreadyArchived == false, "nor that another relay sent this audio")
            // Relay A sending it again under a new key learns what it already knew: the same take.
            let again = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1-again")
            let doneAgain = try await server.client.waitForJob(again.jobID, interval: .milliseconds(20))
            #expect(doneAgain.takeID == done.takeID && doneAgain.alreadyArchived == true)
            #expect(try await server.takes().count == 2)
            // Each relay sees its own jobs only.
            await #expect(throws: RelayClientError.refused(status: 404, code: "job_not_found", message: "No job \(first.jobID) for relay relay-b.")) {
                try await relayB.job(first.jobID)
            }
        }
    }

    @Test("oversize, overlong, non-audio, bad metadata and restricted owners are refused with their codes, keeping nothing")
    func limits() async throws {
        let relay = try InProcessRelay {
            $0.workers = 0
            $0.maxUploadBytes = 4_000_000
            $0.maxDurationSeconds = 10
        }
        let large = RelayFixtures.take(relay.directory, "large.wav", seconds: 8, channels: 8)            // 9.2 MB, within the duration limit
        let long = RelayFixtures.take(relay.directory, "long.wav", seconds: 20, bits: 16, channels: 1)   // 1.9 MB, 20 s
        let text = relay.directory.write("notes.wav", bytes: Array(String(repeating: "not audio at all\n", count: 1000).utf8))
        let fine = RelayFixtures.take(relay.directory, "fine.wav", seconds: 1)
        // A restricted owner's takes are not taken in at all.
        _ = try await Ingest(vault: relay.vault).run(IngestRequest(path: fine.path, owner: "u9", tier: .free))
        try await OwnerAdministration(vault: relay.vault).restrict(owner: "u9", lift: false)
        try await relay.serve { server in
            func status(_ request: RelayClient.Request) async throws -> (Int, String?) {
                let answer = try await server.client.send(request)
                return (answer.status, answer.failure?.code)
            }
            #expect(try await status(try RelayFixtures.uploadRequest(large.path)) == (413, "upload_too_large"))
            var streamed = try RelayFixtures.uploadRequest(large.path)
            streamed.chunked = true                                                                  // no Content-Length: counted while streaming
            #expect(try await status(streamed) == (413, "upload_too_large"))
            #expect(try await status(try RelayFixtures.uploadRequest(long.path)) == (413, "upload_too_long"))
            var longStreamed = try RelayFixtures.uploadRequest(long.path)
            longStreamed.chunked = true
            #expect(try await status(longStreamed) == (413, "upload_too_long"))
            #expect(try await status(try RelayFixtures.uploadRequest(text)) == (415, "unsupported_format"))
            #expect(try await status(try RelayFixtures.uploadRequest(fine.path, tier: "gold")) == (400, "metadata_invalid"))
            #expect(try await status(try RelayFixtures.uploadRequest(fine.path, owner: "../etc")) == (400, "metadata_invalid"))
            var arrayTransport = try RelayFixtures.uploadRequest(fine.path)
            arrayTransport.metadataHeader = try UploadMetadata(owner: "u1", tier: .pro, dawTransport: .array([.number(1)])).headerValue()
            #expect(try await status(arrayTransport) == (400, "metadata_invalid"), "daw_transport must be an object")
            var noKey = try RelayFixtures.uploadRequest(fine.path)
            noKey.idempotencyKey = ""
            #expect(try await status(noKey) == (400, "idempotency_key_invalid"))
            #expect(try await status(try RelayFixtures.uploadRequest(fine.path, owner: "u9")) == (403, "owner_restricted"))
            #expect(server.heldUploads().isEmpty)
        }
    }

    @Test("health, readiness (spool, catalog, store) and Prometheus metrics")
    func healthAndMetrics() async throws {
        let relay = try InProcessRelay()
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        try await relay.serve { server in
            #expect(try await server.get("/healthz").status == 200)
            let ready = try await server.get("/readyz")
            #expect(ready.status == 200)
            let checks = try JSONDecoder().decode([String: String].self, from: Data(ready.body))
            #expect(checks == ["status": "ready", "store": "ok", "catalog": "ok", "spool": "ok", "node": "node-a", "catalog_kind": "sqlite"])
            let accepted = try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "health-1")
            #expect(try await server.client.waitForJob(accepted.jobID, interval: .milliseconds(20)).state == .done)
            _ = try await server.client.send(try RelayFixtures.uploadRequest(take.path), headers: [])
            let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
            // Every series names the node, so the nodes of one vault add up and tell apart.
            #expect(metrics.contains(#"takevault_relay_uploads_total{node="node-a",outcome="accepted"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"takevault_relay_rejections_total{node="node-a",reason="auth_missing"} 1"#))
            #expect(metrics.contains(#"takevault_relay_jobs_total{node="node-a",state="done"} 1"#))
            #expect(metrics.split(separator: "\n").filter { $0.hasPrefix("takevault_") }.allSatisfy { $0.contains(#"node="node-a""#) })
            #expect(metrics.contains("takevault_relay_upload_bytes_total"))
            #expect(metrics.contains("takevault_relay_stage_seconds_bucket"))
            #expect(metrics.contains("takevault_relay_queue_depth"))

            // Not ready when the spool cannot be written: a file where the incoming folder should be
            // (permissions would not stop root, which CI runs as), then ready again once it is back.
            let incoming = server.vault.spool.incomingDirectory
            #expect(rename(incoming, incoming + ".aside") == 0)
            #expect(creat(incoming, 0o600) >= 0)
            let unready = try await server.get("/readyz")
            #expect(unready.status == 503)
            #expect(try JSONDecoder().decode([String: String].self, from: Data(unready.body))["spool"] == "not writable")
            #expect(unlink(incoming) == 0 && rename(incoming + ".aside", incoming) == 0)
            #expect(try await server.get("/readyz").status == 200)
        }
    }

    @Test("a full spool answers 503 with Retry-After before reading the body")
    func spoolLimit() async throws {
        let relay = try InProcessRelay {
            $0.workers = 0
            $0.spoolLimitBytes = 1_500_000
        }
        let first = RelayFixtures.take(relay.directory, "first.wav", seconds: 3, bits: 16, channels: 2)             // 576 KB
        let second = RelayFixtures.take(relay.directory, "second.wav", seconds: 4, bits: 16, channels: 2, seed: 2)  // 768 KB
        let third = RelayFixtures.take(relay.directory, "third.wav", seconds: 2, bits: 16, channels: 2, seed: 3)
        try await relay.serve { server in
            #expect(try await server.client.send(try RelayFixtures.uploadRequest(first.path)).status == 202)
            // 576 KB held + 768 KB arriving fits in 1.5 MB; then the third does not.
            #expect(try await server.client.send(try RelayFixtures.uploadRequest(second.path)).status == 202)
            let busy = try await server.client.send(try RelayFixtures.uploadRequest(third.path))
            #expect(busy.status == 503 && busy.failure?.code == "relay_busy")
            #expect(busy.headers.first(name: "Retry-After") == "2")
            #expect(server.heldUploads().count == 2)
        }
    }

    @Test("erasing an owner removes their queued uploads and jobs with everything else")
    func erasureReachesTheSpool() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let first = RelayFixtures.take(relay.directory, "first.wav", seconds: 1)
        let queued = RelayFixtures.take(relay.directory, "queued.wav", seconds: 1, seed: 5)
        _ = try await Ingest(vault: relay.vault).run(IngestRequest(path: first.path, owner: "u5", tier: .pro))
        try await relay.serve { server in
            let accepted = try await server.client.upload(file: queued.path, metadata: UploadMetadata(owner: "u5", tier: .pro), idempotencyKey: "q")
            #expect(server.heldUploads() == ["staged/u5/" + accepted.jobID])
            _ = try await Erasure(vault: server.vault).erase(owner: "u5")
            #expect(server.heldUploads().isEmpty)
            let answer = try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/jobs/" + accepted.jobID))
            #expect(answer.status == 404)
            #expect(try await server.takes().isEmpty)
        }
    }

    @Test("an unknown key id and a wrong signature are the same answer, byte for byte")
    func noKeyOracle() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        try await relay.serve { server in
            var request = try RelayFixtures.uploadRequest(take.path)
            let wrongSecret = RelayCredentials(keyID: RelayFixtures.relayA.keyID, secret: Array("not-the-secret-0123456789abcdef0123456789".utf8))
            let unknownKey = RelayCredentials(keyID: "relay-nobody", secret: RelayFixtures.relayA.secret)
            let known = try await server.client(wrongSecret).send(request)
            request.nonce = RelayClient.newNonce()
            let unknown = try await server.client(unknownKey).send(request)
            #expect(known.status == 401 && unknown.status == 401)
            #expect(known.body == unknown.body, "\(String(decoding: known.body, as: UTF8.self)) vs \(String(decoding: unknown.body, as: UTF8.self))")
            // Stale requests too: freshness is judged before any key is looked up.
            request.timestamp -= 3_600
            let staleKnown = try await server.client(wrongSecret).send(request)
            let staleUnknown = try await server.client(unknownKey).send(request)
            // The message states the skew against the server's clock, which may tick between the two
            // requests: compared with the numbers left out, the answers are the same.
            func withoutNumbers(_ body: [UInt8]) -> String { String(decoding: body, as: UTF8.self).replacing(/[0-9]+/, with: "N") }
            #expect(staleKnown.failure?.code == "auth_stale" && staleUnknown.failure?.code == "auth_stale")
            #expect(withoutNumbers(staleKnown.body) == withoutNumbers(staleUnknown.body))
        }
    }

    @Test("a relay uploads only for the owners in its scope; outside it, 403 that reveals nothing and keeps nothing")
    func ownerScope() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        let take = RelayFixtures.take(relay.directory, "take.wav", seconds: 1)
        // u9 exists and is restricted: out of scope answers the same as for an owner never seen.
        _ = try await Ingest(vault: relay.vault).run(IngestRequest(path: take.path, owner: "u9", tier: .free))
        try await OwnerAdministration(vault: relay.vault).restrict(owner: "u9")
        try await relay.serve { server in
            let relayB = server.client(RelayFixtures.relayB)
            var bodies: Set<String> = []
            for owner in ["u9", "u2", "team", "teams-x"] {
                let answer = try await relayB.send(try RelayFixtures.uploadRequest(take.path, owner: owner))
                #expect(answer.status == 403 && answer.failure?.code == "owner_out_of_scope", "\(owner): \(String(decoding: answer.body, as: UTF8.self))")
                bodies.insert(String(decoding: answer.body, as: UTF8.self).replacing(owner, with: "OWNER"))
            }
            #expect(bodies.count == 1, "the refusal does not depend on what the vault knows of the owner: \(bodies)")
            #expect(server.heldUploads().isEmpty)
            #expect(try await relayB.send(try RelayFixtures.uploadRequest(take.path, owner: "team-x")).status == 202)
            #expect(try await relayB.send(try RelayFixtures.uploadRequest(take.path, owner: "u1")).status == 202)
        }
    }

    @Test("simultaneous uploads never pass the queue's capacity together")
    func capacityUnderRace() async throws {
        let relay = try InProcessRelay {
            $0.workers = 0
            $0.queueCapacity = 3
        }
        let takes = (0..<10).map { RelayFixtures.take(relay.directory, "take-\($0).wav", seconds: 1, seed: UInt64($0) + 10) }
        try await relay.serve { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for take in takes {
                    group.addTask { try await server.client.send(try RelayFixtures.uploadRequest(take.path)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 202 }.count == 3, "\(statuses.sorted())")
            #expect(statuses.filter { $0 == 503 }.count == 7, "\(statuses.sorted())")
            #expect(server.heldUploads().count == 3, "refused uploads leave nothing in the spool")
        }
    }

    @Test("a second server on the same vault is refused while the first runs")
    func oneServerPerVault() async throws {
        let relay = try InProcessRelay { $0.workers = 0 }
        try await relay.serve { server async throws in
            await #expect(throws: RelayConfigurationError.alreadyServing(vault: server.vault.root)) {
                _ = try await RelayServer(vault: server.vault, configuration: relay.configuration).application()
            }
            #expect(try await server.get("/healthz").status == 200, "the first is untouched")
        }
    }
}
