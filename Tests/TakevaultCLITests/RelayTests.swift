import AudioTestSupport
import Foundation
import RelayAPI
import TakevaultCore
import Testing
import TestSupport

/// The relay hand-off against a real `takevault serve` on loopback: signed uploads, refusals that
/// keep nothing, idempotency, limits, backpressure, crashes, graceful shutdown, callbacks.
@Suite("takevault serve and push", .serialized)
struct RelayTests {
    /// A synthesised take: `seconds` of 48 kHz tone and noise, `bits`-bit, `channels` channels.
    static func take(_ directory: TestDirectory, _ name: String, seconds: Double, bits: Int = 24, channels: Int = 2, seed: UInt64 = 1) -> (path: String, samples: [[Int32]]) {
        let samples = toneChannels(channels, frames: Int(seconds * 48_000), bits: bits, seed: seed)
        let path = directory.file(name)
        writeWAV(path, channels: samples, bits: bits)
        return (path, samples)
    }

    /// Uploads a `seconds`-long take for `owner` and returns its job id once the job has left the
    /// queue, with the state it was first seen in after that.
    static func uploadUntilClaimed(_ server: RelayTestServer, seconds: Double, owner: String, key: String) async throws -> (jobID: String, state: JobState) {
        let take = take(server.directory, "long.wav", seconds: seconds)
        let accepted = try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: owner, tier: .pro), idempotencyKey: key)
        var state = JobState.queued
        while state == .queued {
            try await Task.sleep(for: .milliseconds(10))
            state = try await server.client.job(accepted.jobID).state
        }
        return (accepted.jobID, state)
    }

    @Test("a signed upload is archived and restores bit-exact; the job reports its take", .timeLimit(.minutes(3)))
    func signedUploadArchives() async throws {
        let server = try RelayTestServer()
        let upload = Self.take(server.directory, "take.wav", seconds: 4)
        let pushed = server.push(upload.path, "--wait", "--json")
        #expect(pushed.status == 0, "\(pushed.standardError)")
        let document = try #require(CLI.json(pushed) as? [String: Any])
        let job = try #require(document["job"] as? [String: Any])
        #expect(job["state"] as? String == "done")
        let take = try #require(job["take_id"] as? String)
        #expect((job["summary"] as? [String: Any])?["integrated_lufs"] is Double)
        #expect(server.takes().map { $0["take_id"] as? String } == [take])

        let restored = server.directory.file("master.flac")
        #expect(CLI.run("restore", "--vault", server.vault, take, "--artefact", "master", "-o", restored).status == 0)
        #expect(try flacSamples(restored) == upload.samples)
        let inspect = CLI.run("inspect", "--vault", server.vault, take, "--json")
        #expect(inspect.standardOutput.contains("take.wav"))
        #expect(server.spoolFiles().isEmpty, "the spool lets go once the take has committed")

        // The job as the API shows it, to its own relay only.
        let jobID = try #require(document["job_id"] as? String)
        let viaAPI = try await server.client.job(jobID)
        #expect(viaAPI.state == .done && viaAPI.takeID == take)
        await #expect(throws: RelayClientError.refused(status: 404, code: "job_not_found", message: "No job \(jobID) for relay relay-b.")) {
            try await server.client(RelayTestServer.relayB).job(jobID)
        }
        #expect(server.stop() == 0)
    }

    @Test("unsigned, wrong-secret, unknown, stale, replayed, tampered and body-swapped requests get 401 and keep nothing", .timeLimit(.minutes(3)))
    func forgeriesRefused() async throws {
        let server = try RelayTestServer(["--workers", "0"])
        let upload = Self.take(server.directory, "take.wav", seconds: 1)
        let other = Self.take(server.directory, "other.wav", seconds: 1, seed: 2)
        let client = server.client

        func expectRefused(_ answer: RelayClient.Answer, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.status == 401, sourceLocation: sourceLocation)
            #expect(answer.failure?.code == code, "\(String(decoding: answer.body, as: UTF8.self))", sourceLocation: sourceLocation)
        }

        var request = try server.uploadRequest(upload.path)
        expectRefused(try await client.send(request, headers: []), "auth_missing")
        let wrongSecret = RelayCredentials(keyID: RelayTestServer.relayA.keyID, secret: Array("not-the-secret-0123456789abcdef0123456789".utf8))
        expectRefused(try await server.client(wrongSecret).send(request), "auth_invalid_signature")
        let unknown = RelayCredentials(keyID: "relay-z", secret: RelayTestServer.relayA.secret)
        expectRefused(try await server.client(unknown).send(request), "auth_invalid_signature")

        var stale = request
        stale.timestamp -= 600
        expectRefused(try await client.send(stale), "auth_stale")

        // Metadata changed after signing: another owner would get the take.
        var headers = client.headers(for: request)
        let forgedMetadata = try UploadMetadata(owner: "mallory", tier: .studio).headerValue()
        headers = headers.map { $0.0 == RelayHeaders.metadata ? ($0.0, forgedMetadata) : $0 }
        expectRefused(try await client.send(request, headers: headers), "auth_invalid_signature")

        // Signed for one body, sent with another.
        var swapped = request
        swapped.nonce = RelayClient.newNonce()
        let swappedHeaders = client.headers(for: swapped)
        swapped.file = other.path
        expectRefused(try await client.send(swapped, headers: swappedHeaders), "auth_body_mismatch")

        #expect(server.spoolFiles().isEmpty)
        #expect(try await server.get("/metrics").body.count > 0)

        // A genuine request is accepted once; the same request replayed is refused.
        request.nonce = RelayClient.newNonce()
        let genuine = client.headers(for: request)
        #expect(try await client.send(request, headers: genuine).status == 202)
        expectRefused(try await client.send(request, headers: genuine), "auth_replayed")
        #expect(server.spoolFiles().count == 1, "only the genuine upload is spooled")
        #expect(server.stop() == 0)
    }

    @Test("an idempotent retry returns the same job; the same key with another body is 409", .timeLimit(.minutes(3)))
    func idempotency() async throws {
        let server = try RelayTestServer()
        let upload = Self.take(server.directory, "take.wav", seconds: 1)
        let other = Self.take(server.directory, "other.wav", seconds: 1, seed: 3)
        let metadata = UploadMetadata(owner: "u1", tier: .free, fileName: "take.wav")
        let first = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
        let retry = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
        #expect(!first.duplicate && retry.duplicate && retry.jobID == first.jobID)
        await #expect(throws: RelayClientError.self) {
            try await server.client.upload(file: other.path, metadata: metadata, idempotencyKey: "take-1")
        }
        let conflict = try await server.client.send(try server.uploadRequest(other.path, key: "take-1"))
        #expect(conflict.status == 409 && conflict.failure?.code == "idempotency_conflict")
        let done = try await server.client.waitForJob(first.jobID)
        #expect(done.state == .done)
        // Another relay's keys are its own: the same key there is a new job.
        let fromB = try await server.client(RelayTestServer.relayB).upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1")
        #expect(fromB.jobID != first.jobID)
        let doneB = try await server.client(RelayTestServer.relayB).waitForJob(fromB.jobID)
        #expect(doneB.takeID != nil && doneB.takeID != done.takeID, "relay B's upload is its own take: it never learns relay A's take id")
        #expect(doneB.alreadyArchived == false, "nor that another relay sent this audio")
        // Relay A sending it again under a new key learns what it already knew: the same take.
        let again = try await server.client.upload(file: upload.path, metadata: metadata, idempotencyKey: "take-1-again")
        let doneAgain = try await server.client.waitForJob(again.jobID)
        #expect(doneAgain.takeID == done.takeID && doneAgain.alreadyArchived == true)
        #expect(server.takes().count == 2)
        #expect(server.stop() == 0)
    }

    @Test("oversize, overlong, non-audio and bad metadata are refused with their codes, keeping nothing", .timeLimit(.minutes(3)))
    func limits() async throws {
        let server = try RelayTestServer(["--workers", "0", "--max-upload-bytes", "4000000", "--max-duration-seconds", "10"])
        let client = server.client
        func status(_ request: RelayClient.Request) async throws -> (Int, String?) {
            let answer = try await client.send(request)
            return (answer.status, answer.failure?.code)
        }
        let large = Self.take(server.directory, "large.wav", seconds: 8, channels: 8)   // 9.2 MB, within the duration limit
        #expect(try await status(try server.uploadRequest(large.path)) == (413, "upload_too_large"))
        var streamed = try server.uploadRequest(large.path)
        streamed.chunked = true                                                              // no Content-Length: counted while streaming
        #expect(try await status(streamed) == (413, "upload_too_large"))
        let long = Self.take(server.directory, "long.wav", seconds: 20, bits: 16, channels: 1)   // 1.9 MB, 20 s
        #expect(try await status(try server.uploadRequest(long.path)) == (413, "upload_too_long"))
        var longStreamed = try server.uploadRequest(long.path)
        longStreamed.chunked = true
        #expect(try await status(longStreamed) == (413, "upload_too_long"))
        let text = server.directory.write("notes.wav", bytes: Array(String(repeating: "not audio at all\n", count: 1000).utf8))
        #expect(try await status(try server.uploadRequest(text)) == (415, "unsupported_format"))
        let fine = Self.take(server.directory, "fine.wav", seconds: 1)
        #expect(try await status(try server.uploadRequest(fine.path, tier: "gold")) == (400, "metadata_invalid"))
        #expect(try await status(try server.uploadRequest(fine.path, owner: "../etc")) == (400, "metadata_invalid"))
        var noKey = try server.uploadRequest(fine.path)
        noKey.idempotencyKey = ""
        #expect(try await status(noKey) == (400, "idempotency_key_invalid"))
        #expect(server.spoolFiles().isEmpty)

        // The same refusals through `push`: exit 3 (rejected input) with the reason code.
        let pushed = server.push(text)
        #expect(pushed.status == 3)
        #expect(pushed.standardError.contains("unsupported_format"))

        // A restricted owner's takes are not taken in at all.
        #expect(CLI.run("ingest", "--vault", server.vault, "--owner", "u9", "--tier", "free", fine.path).status == 0)
        #expect(CLI.run("owner", "restrict", "u9", "--vault", server.vault).status == 0)
        #expect(try await status(try server.uploadRequest(fine.path, owner: "u9")) == (403, "owner_restricted"))
        #expect(server.stop() == 0)
    }

    @Test("a full queue answers 503 with Retry-After; queued uploads survive kill -9 and are archived once", .timeLimit(.minutes(4)))
    func backpressureAndCrash() async throws {
        let server = try RelayTestServer(["--workers", "0", "--queue-capacity", "2"])
        let takes = (0..<3).map { Self.take(server.directory, "take-\($0).wav", seconds: 2, seed: UInt64(10 + $0)) }
        var jobs: [String] = []
        for take in takes.prefix(2) {
            let answer = try await server.client.send(try server.uploadRequest(take.path))
            #expect(answer.status == 202)
            jobs.append(try answer.decode(AcceptedUpload.self).jobID)
        }
        let busy = try await server.client.send(try server.uploadRequest(takes[2].path))
        #expect(busy.status == 503 && busy.failure?.code == "relay_busy")
        #expect(Int(busy.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)

        // Acknowledged means on disk: kill -9 and start with workers; both are archived, once each.
        server.crash()
        try server.start(extra: ["--workers", "2"])
        for job in jobs { #expect(try await server.client.waitForJob(job).state == .done) }
        #expect(server.takes().count == 2)
        // The third, retried now that there is room, goes through.
        let third = try await server.client.upload(file: takes[2].path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "third")
        #expect(try await server.client.waitForJob(third.jobID).state == .done)
        #expect(server.takes().count == 3)
        #expect(server.spoolFiles().isEmpty)
        #expect(CLI.run("verify", "--vault", server.vault, "--read-data").status == 0)
        #expect(server.stop() == 0)
    }

    @Test("erasing an owner removes their queued uploads and jobs with everything else", .timeLimit(.minutes(2)))
    func erasureReachesTheSpool() async throws {
        let server = try RelayTestServer(["--workers", "0"])
        let first = Self.take(server.directory, "first.wav", seconds: 1)
        let queued = Self.take(server.directory, "queued.wav", seconds: 1, seed: 5)
        #expect(CLI.run("ingest", "--vault", server.vault, "--owner", "u5", "--tier", "pro", first.path).status == 0)
        let accepted = try await server.client.upload(file: queued.path, metadata: UploadMetadata(owner: "u5", tier: .pro), idempotencyKey: "q")
        #expect(server.spoolFiles().count == 1)
        let erased = CLI.run("owner", "erase", "u5", "--vault", server.vault)
        #expect(erased.status == 0, "\(erased.standardError)")
        #expect(server.spoolFiles().isEmpty)
        let answer = try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/jobs/" + accepted.jobID))
        #expect(answer.status == 404)
        #expect(server.stop() == 0)
    }

    @Test("a full spool answers 503 with Retry-After before reading the body", .timeLimit(.minutes(2)))
    func spoolLimit() async throws {
        let server = try RelayTestServer(["--workers", "0", "--spool-limit-bytes", "1500000"])
        let first = Self.take(server.directory, "first.wav", seconds: 3, bits: 16, channels: 2)     // 576 KB
        let second = Self.take(server.directory, "second.wav", seconds: 4, bits: 16, channels: 2, seed: 2)   // 768 KB
        let third = Self.take(server.directory, "third.wav", seconds: 2, bits: 16, channels: 2, seed: 3)
        #expect(try await server.client.send(try server.uploadRequest(first.path)).status == 202)
        // 576 KB held + 768 KB arriving fits in 1.5 MB; then the third does not.
        #expect(try await server.client.send(try server.uploadRequest(second.path)).status == 202)
        let busy = try await server.client.send(try server.uploadRequest(third.path))
        #expect(busy.status == 503 && busy.failure?.code == "relay_busy")
        #expect(busy.headers.first(name: "Retry-After") != nil)
        #expect(server.spoolFiles().count == 2)
        #expect(server.stop() == 0)
    }

    @Test("an erasure that lands while the owner's take is being ingested leaves nothing of the owner", .timeLimit(.minutes(3)))
    func erasureDuringIngest() async throws {
        let server = try RelayTestServer(["--workers", "1"])
        let accepted = try await Self.uploadUntilClaimed(server, seconds: 90, owner: "u7", key: "e")
        // Erase as soon as ingest has created the owner (with its key): until then the vault knows no
        // u7 and erase answers owner_erased (exit 3), so try again.
        var erased = CLI.run("owner", "erase", "u7", "--vault", server.vault)
        for _ in 0..<400 where erased.status != 0 {
            try await Task.sleep(for: .milliseconds(25))
            erased = CLI.run("owner", "erase", "u7", "--vault", server.vault)
        }
        #expect(erased.status == 0, "\(erased.standardError)")
        // Whatever the worker was doing, it ends with nothing of u7 stored, listed or spooled.
        var remaining: [String] = ["?"]
        for _ in 0..<300 {
            remaining = ((try? FileManager.default.subpathsOfDirectory(atPath: server.vault + "/store/v1/owners/u7")) ?? [])
            if remaining.isEmpty && server.spoolFiles().isEmpty && server.takes().isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(remaining.isEmpty, "\(remaining)")
        #expect(server.takes().isEmpty && server.spoolFiles().isEmpty)
        #expect(try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/jobs/" + accepted.jobID)).status == 404)
        #expect(server.stop() == 0)
        #expect(server.takes().isEmpty, "nothing committed after the check either")
    }

    @Test("kill -9 while a take is processing, restart: processed exactly once", .timeLimit(.minutes(4)))
    func crashWhileProcessing() async throws {
        let server = try RelayTestServer(["--workers", "1"])
        let accepted = try await Self.uploadUntilClaimed(server, seconds: 90, owner: "u1", key: "long")
        #expect(accepted.state == .processing)
        server.crash()
        try server.start()
        let done = try await server.client.waitForJob(accepted.jobID)
        #expect(done.state == .done)
        #expect(done.attempts == 2)
        let takes = server.takes()
        #expect(takes.count == 1)
        #expect(takes.first?["take_id"] as? String == done.takeID)
        let manifests = (try? FileManager.default.subpathsOfDirectory(atPath: server.vault + "/store"))?.filter { $0.contains("/manifest-") && !$0.hasPrefix(".") } ?? []
        #expect(manifests.filter { $0.contains(done.takeID ?? "?") }.count == 1, "\(manifests)")
        #expect(server.spoolFiles().isEmpty)
        #expect(CLI.run("verify", "--vault", server.vault, "--read-data").status == 0)
        #expect(server.stop() == 0)
    }

    @Test("SIGTERM finishes the take in hand, then exits 0", .timeLimit(.minutes(4)))
    func gracefulShutdown() async throws {
        let server = try RelayTestServer(["--workers", "1"])
        let accepted = try await Self.uploadUntilClaimed(server, seconds: 60, owner: "u1", key: "long")
        #expect(server.stop() == 0)
        #expect(server.takes().count == 1, "the take in hand was finished before exit")
        try server.start()
        let job = try await server.client.job(accepted.jobID)
        #expect(job.state == .done && job.attempts == 1)
        #expect(server.stop() == 0)
    }

    @Test("health, readiness and Prometheus metrics", .timeLimit(.minutes(2)))
    func healthAndMetrics() async throws {
        let server = try RelayTestServer()
        #expect(try await server.get("/healthz").status == 200)
        let ready = try await server.get("/readyz")
        #expect(ready.status == 200)
        let checks = try JSONSerialization.jsonObject(with: Data(ready.body)) as? [String: String]
        #expect(checks?["store"] == "ok" && checks?["catalog"] == "ok" && checks?["spool"] == "ok")
        let take = Self.take(server.directory, "take.wav", seconds: 1)
        #expect(server.push(take.path, "--wait").status == 0)
        _ = try await server.client.send(try server.uploadRequest(take.path), headers: [])
        let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"takevault_relay_uploads_total{outcome="accepted"} 1"#))
        #expect(metrics.contains(#"takevault_relay_rejections_total{reason="auth_missing"} 1"#))
        #expect(metrics.contains(#"takevault_relay_jobs_total{state="done"} 1"#))
        #expect(metrics.contains("takevault_relay_upload_bytes_total"))
        #expect(metrics.contains("takevault_relay_stage_seconds_bucket"))
        #expect(metrics.contains("takevault_relay_queue_depth"))

        // Not ready when the spool cannot be written: a file where the incoming folder should be
        // (permissions would not stop root, which CI runs as), then ready again once it is back.
        let incoming = server.vault + "/spool/incoming"
        #expect(rename(incoming, incoming + ".aside") == 0)
        #expect(creat(incoming, 0o600) >= 0)
        #expect(try await server.get("/readyz").status == 503)
        #expect(unlink(incoming) == 0 && rename(incoming + ".aside", incoming) == 0)
        #expect(try await server.get("/readyz").status == 200)
        #expect(server.stop() == 0)
    }

    @Test("the final state reaches the relay's callback URL, signed", .timeLimit(.minutes(3)))
    func callback() async throws {
        let directory = TestDirectory()
        let received = directory.file("callbacks.jsonl")
        let portFile = directory.file("callback.port")
        let listener = startProcess("python3", [RepositoryPaths.root + "/Tests/Fixtures/callback-listener.py", "--port-file", portFile, "--out", received,
                                                "--fail-first", "1"])
        defer { killProcess(listener) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: portFile) { usleep(100_000) }
        let port = String(decoding: readBytes(portFile), as: UTF8.self)
        let server = try RelayTestServer(["--allow-private-callbacks"], callbackURL: "http://127.0.0.1:\(port)/takevault/jobs?relay=a", directory: directory)
        let take = Self.take(directory, "take.wav", seconds: 1)
        let accepted = try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "cb")
        _ = try await server.client.waitForJob(accepted.jobID)
        var lines: [Substring] = []
        for _ in 0..<100 {
            lines = String(decoding: readBytes(received), as: UTF8.self).split(separator: "\n")
            if !lines.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // The listener refused the first attempt (500); the retry was delivered.
        let delivery = try #require(lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let headers = try #require(delivery["headers"] as? [String: String])
        let body = try #require((delivery["body"] as? String).flatMap { Data(base64Encoded: $0) })
        let document = try JSONDecoder().decode(JobDocument.self, from: body)
        #expect(document.jobID == accepted.jobID && document.state == .done)
        #expect(delivery["attempt"] as? Int == 2)
        let authorization = headers["authorization"] ?? ""
        let (keyID, signature) = try #require(SignedRequestHeaders.parseAuthorization(authorization, algorithm: CallbackSignature.algorithm))
        #expect(keyID == RelayTestServer.relayA.keyID)
        #expect(headers["x-takevault-job"] == accepted.jobID)
        let signed = CallbackSignature(path: delivery["path"] as? String ?? "", timestamp: Int64(headers["x-takevault-date"] ?? "") ?? 0,
                                       nonce: headers["x-takevault-nonce"] ?? "", jobID: headers["x-takevault-job"] ?? "",
                                       bodySHA256: RelayClient.sha256(bytes: Array(body)))
        #expect(signed.verify(signature: signature, secret: RelayTestServer.relayA.secret))
        // The callback's signature is not a request's: it would not authenticate anything at the server.
        #expect(SignedRequestHeaders.parseAuthorization(authorization) == nil)
        #expect(delivery["path"] as? String == "/takevault/jobs?relay=a")
        #expect(server.stop() == 0)
    }
}
