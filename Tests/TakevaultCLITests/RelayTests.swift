import AudioTestSupport
import Foundation
import RelayAPI
import RelayTestSupport
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// The relay hand-off against a real `takevault serve` on loopback: what only a process shows —
/// `push`, backpressure across kill -9, crashes, graceful shutdown, callbacks. Authentication,
/// idempotency, limits and health run in-process (RelayServerTests).
@Suite("takevault serve and push", .serialized)
struct RelayTests {
    /// A synthesised take (``RelayFixtures/take(_:_:seconds:bits:channels:seed:)``).
    static func take(_ directory: TestDirectory, _ name: String, seconds: Double, bits: Int = 24, channels: Int = 2, seed: UInt64 = 1) -> (path: String, samples: [[Int32]]) {
        RelayFixtures.take(directory, name, seconds: seconds, bits: bits, channels: channels, seed: seed)
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

    @Test("a signed upload is archived and restores bit-exact; the job reports its take", .timeLimit(.minutes(5)))
    func signedUploadArchives() async throws {
        let server = try RelayTestServer()
        let upload = Self.take(server.directory, "take.wav", seconds: 4)
        let pushed = server.push(upload.path, "--wait", "--json")
        #expect(pushed.status == 0, "\(pushed.standardError)")
        // `push --json`: the file, its job id, and the job as the relay API documents it.
        struct Pushed: Decodable {
            var file: String
            var jobId: String
            var job: JobDocument
            enum CodingKeys: String, CodingKey { case file, jobId = "job_id", job }
        }
        let document = try CLI.decode(Pushed.self, pushed)
        let job = document.job
        #expect(document.file == upload.path && job.state == .done)
        let take = try #require(job.takeID)
        #expect(job.summary?["integrated_lufs"]?.doubleValue != nil)
        #expect(server.takes().map(\.takeId) == [take])

        let restored = server.directory.file("master.flac")
        #expect(CLI.run("restore", "--vault", server.vault, take, "--artefact", "master", "-o", restored).status == 0)
        #expect(try flacSamples(restored) == upload.samples)
        let inspect = CLI.run("inspect", "--vault", server.vault, take, "--json")
        #expect(inspect.standardOutput.contains("take.wav"))
        #expect(await server.heldUploadsOnceSettled().isEmpty, "the spool lets go once the take has committed")

        // The job as the API shows it, to its own relay only.
        let jobID = document.jobId
        let viaAPI = try await server.client.job(jobID)
        #expect(viaAPI.state == .done && viaAPI.takeID == take)
        await #expect(throws: RelayClientError.refused(status: 404, code: "job_not_found", message: "No job \(jobID) for relay relay-b.")) {
            try await server.client(RelayTestServer.relayB).job(jobID)
        }

        // A refusal through `push`: exit 3 (rejected input) with the reason code.
        let text = server.directory.write("notes.wav", bytes: Array(String(repeating: "not audio at all\n", count: 1000).utf8))
        let refused = server.push(text)
        #expect(refused.status == 3)
        #expect(refused.standardError.contains("unsupported_format"))
        #expect(server.stop() == 0)
    }

    @Test("fetch gets a pushed take's summary, artefacts and ranges through the binary, equal to restore; a session lists it", .timeLimit(.minutes(5)))
    func fetchThroughBinary() async throws {
        let server = try RelayTestServer()
        let upload = Self.take(server.directory, "take.wav", seconds: 2)
        let pushed = server.push(upload.path, "--session", "band", "--wait", "--json")
        #expect(pushed.status == 0, "\(pushed.standardError)")
        let take = try #require(server.takes().first?.takeId)

        let summary = server.fetch(take, "--json")
        #expect(summary.status == 0, "\(summary.standardError)")
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(summary.standardOutput.utf8))
        #expect(decoded["take_id"]?.stringValue == take && decoded["session_id"]?.stringValue == "band")
        for kind in ["master", "preview", "waveform", "report"] {
            let restored = server.directory.file("restored.\(kind)"), fetched = server.directory.file("fetched.\(kind)")
            #expect(CLI.run("restore", "--vault", server.vault, take, "--artefact", kind, "-o", restored).status == 0)
            let result = server.fetch(take, "--artefact", kind, "-o", fetched, "--json")
            #expect(result.status == 0, "\(kind): \(result.standardError)")
            #expect(readBytes(fetched) == readBytes(restored), "\(kind)")
        }
        let preview = readBytes(server.directory.file("restored.preview"))
        let part = server.directory.file("part.opus")
        #expect(server.fetch(take, "--artefact", "preview", "-o", part, "--range", "100-199").status == 0)
        #expect(readBytes(part) == Array(preview[100..<200]))
        #expect(server.fetch(take, "--artefact", "preview", "-o", part, "--range=-16").status == 0)
        #expect(readBytes(part) == Array(preview.suffix(16)))

        let listing = server.fetch("--session", "band", "--owner", "u1", "--json")
        #expect(listing.status == 0 && listing.standardOutput.contains(take), "\(listing.standardError)")
        // Unknown take: exit 2; unsatisfiable range: exit 2 and no file; bad range syntax: usage.
        #expect(server.fetch(String(repeating: "0", count: 32)).status == 2)
        let beyond = server.fetch(take, "--artefact", "preview", "-o", server.directory.file("none"), "--range", "\(preview.count)-")
        #expect(beyond.status == 2 && !server.directory.exists(server.directory.file("none")))
        #expect(server.fetch(take, "--artefact", "preview", "-o", part, "--range", "1-2-3").status == 2)
        _ = server.stop()

        // The relay gone: fetch and push say so at once (the connection is refused), not after
        // the HTTP client's 90-second connect timeout.
        let started = ContinuousClock.now
        let down = server.fetch(take, "--artefact", "preview", "-o", part)
        #expect(down.status != 0 && down.standardError.contains("relay_unreachable"), "\(down.standardError)")
        let pushedToNothing = server.push(upload.path)
        #expect(pushedToNothing.status != 0 && pushedToNothing.standardError.contains("relay_unreachable"), "\(pushedToNothing.standardError)")
        #expect(ContinuousClock.now - started < .seconds(20), "\(ContinuousClock.now - started)")
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
        #expect(await server.heldUploadsOnceSettled().isEmpty)
        #expect(CLI.run("verify", "--vault", server.vault, "--read-data").status == 0)
        #expect(server.stop() == 0)
    }

    @Test("an erasure that lands while the owner's take is being ingested leaves nothing of the owner", .timeLimit(.minutes(5)))
    func erasureDuringIngest() async throws {
        let server = try RelayTestServer(["--workers", "1"], environment: ["TAKEVAULT_TEST_STOP_AT": "ingest.sealed"])
        let take = Self.take(server.directory, "take.wav", seconds: 4)
        let accepted = try await server.client.upload(file: take.path, metadata: UploadMetadata(owner: "u7", tier: .pro), idempotencyKey: "e")
        // The worker has created u7 and sealed the take's artefacts, and stops the server there,
        // holding u7's locks; the erasure arrives and waits for them.
        #expect(waitUntilStopped(server.pid) == .stopped)
        let erase = ConcurrentOperationTests.frozen(["owner", "erase", "u7", "--vault", server.vault], at: "lock.waiting")
        kill(erase, SIGCONT)
        kill(server.pid, SIGCONT)
        #expect(waitForExit(erase) == 0)
        // The worker commits, then finds its job erased and erases what it committed: nothing of
        // u7 is stored, listed or spooled once the job is gone.
        var answer = try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/jobs/" + accepted.jobID))
        for _ in 0..<300 where answer.status != 404 {
            try await Task.sleep(for: .milliseconds(20))
            answer = try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/jobs/" + accepted.jobID))
        }
        #expect(answer.status == 404)
        #expect(server.stop() == 0)
        let remaining = (try? FileManager.default.subpathsOfDirectory(atPath: server.vault + "/store/v1/owners/u7")) ?? []
        #expect(remaining.isEmpty, "\(remaining)")
        #expect(server.takes().isEmpty && server.heldUploads().isEmpty)
    }

    @Test("an upload whose body arrived while its owner was erased is refused, and leaves nothing of the owner", .timeLimit(.minutes(4)))
    func erasureDuringUpload() async throws {
        let server = try RelayTestServer(["--workers", "0"], environment: ["TAKEVAULT_TEST_STOP_AT": Failpoint.relayUploadReceived])
        // u8 has a take already, so there is something to erase.
        let first = Self.take(server.directory, "first.wav", seconds: 1, seed: 3)
        #expect(CLI.run("ingest", "--vault", server.vault, "--owner", "u8", "--tier", "pro", first.path).status == 0)
        let take = Self.take(server.directory, "take.wav", seconds: 1, seed: 4)
        let request = try server.uploadRequest(take.path, owner: "u8", key: "race")
        let client = server.client
        let upload = Task { try await client.send(request) }
        // The server has the whole body, checked and staged, and stops before its seal and job:
        // the erasure runs now, to its end.
        #expect(await offPool { waitUntilStopped(server.pid) } == .stopped)
        let erased = await offPool { CLI.run("owner", "erase", "u8", "--vault", server.vault) }
        #expect(erased.status == 0, "\(erased.standardError)")
        kill(server.pid, SIGCONT)
        let answer = try await upload.value
        #expect(answer.status == 403 && answer.failure?.code == "owner_erased", "\(answer.status) \(answer.failure?.code ?? "-")")
        // Nothing of u8: no job, no staged upload, no object.
        let jobs = CLI.run("relay", "jobs", "--vault", server.vault, "--state", "queued", "processing", "parked", "failed", "done", "rejected", "--json")
        #expect(jobs.status == 0 && !jobs.standardOutput.contains("u8"), "\(jobs.standardOutput)")
        #expect(server.heldUploads().isEmpty, "\(server.heldUploads())")

        // An owner the catalog does not know yet, whose first upload (over one 4 MiB segment) is
        // arriving: an erasure finds its staged segments and removes them. The seal would cover a
        // hole; the upload is refused instead, to be sent again.
        let long = Self.take(server.directory, "long.wav", seconds: 22, seed: 5)
        let second = Task { [request = try server.uploadRequest(long.path, owner: "u9", key: "race-2")] in try await client.send(request) }
        #expect(await offPool { waitUntilStopped(server.pid) } == .stopped)
        #expect(server.heldUploads().filter { $0.hasPrefix("staged/") }.map { $0.hasPrefix("staged/u9/job_") } == [true], "a segment staged, no seal yet")
        let erasedNew = await offPool { CLI.run("owner", "erase", "u9", "--vault", server.vault) }
        #expect(erasedNew.status == 0, "\(erasedNew.standardError)")
        kill(server.pid, SIGCONT)
        let interrupted = try await second.value
        #expect(interrupted.status == 503 && interrupted.failure?.code == "upload_interrupted", "\(interrupted.status) \(interrupted.failure?.code ?? "-")")
        #expect(server.heldUploads().isEmpty, "\(server.heldUploads())")

        // An erasure of another owner replaces the master key while a third upload arrives: its
        // seal is made under the key in force when it is written, so the upload stays readable.
        #expect(CLI.run("ingest", "--vault", server.vault, "--owner", "u10", "--tier", "pro", first.path).status == 0)
        let third = Self.take(server.directory, "third.wav", seconds: 1, seed: 6)
        let thirdUpload = Task { [request = try server.uploadRequest(third.path, owner: "u11", key: "race-3")] in try await client.send(request) }
        #expect(await offPool { waitUntilStopped(server.pid) } == .stopped)
        let erasedOther = await offPool { CLI.run("owner", "erase", "u10", "--vault", server.vault) }
        #expect(erasedOther.status == 0, "\(erasedOther.standardError)")
        kill(server.pid, SIGCONT)
        let acknowledged = try await thirdUpload.value
        #expect(acknowledged.status == 202)
        let jobID = try JSONDecoder().decode(AcceptedUpload.self, from: Data(acknowledged.body)).jobID
        let exported = server.directory.file("third.export")
        let export = await offPool { CLI.run("relay", "jobs", "--vault", server.vault, "--export-upload", jobID, "--out", exported) }
        #expect(export.status == 0, "\(export.standardError)")
        #expect(FileManager.default.contents(atPath: exported) == FileManager.default.contents(atPath: third.path))

        #expect(server.stop() == 0)
        let remaining = (try? FileManager.default.subpathsOfDirectory(atPath: server.vault + "/store/v1/owners/u8")) ?? []
        #expect(remaining.isEmpty, "\(remaining)")
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
        #expect(takes.first?.takeId == done.takeID)
        let manifests = (try? FileManager.default.subpathsOfDirectory(atPath: server.vault + "/store"))?.filter { $0.contains("/manifest-") && !$0.hasPrefix(".") } ?? []
        #expect(manifests.filter { $0.contains(done.takeID ?? "?") }.count == 1, "\(manifests)")
        #expect(await server.heldUploadsOnceSettled().isEmpty)
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

    @Test("the final state reaches the relay's callback URL, signed", .timeLimit(.minutes(5)))
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
