import AudioTestSupport
import Foundation
import RelayAPI
import Testing
import TestSupport

/// `takevault serve` against what an attacker sends (docs/SECURITY.md): hostile headers,
/// connections held open, crafted audio, callbacks that redirect. After each, the server still
/// answers `/healthz`. Key-id probing and owner scopes are checked in-process (RelayServerTests).
@Suite("takevault serve under attack", .serialized)
struct RelayHardeningTests {
    static func healthy(_ server: RelayTestServer) async -> Bool {
        (try? await server.get("/healthz").status) == 200
    }

    /// Whether `/healthz` answers 200 within `seconds`: for after connections were closed on the
    /// client side, which the server learns of asynchronously (each attempt is a real request; the
    /// first one that succeeds ends the wait).
    static func healthyWithin(_ server: RelayTestServer, seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await healthy(server) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await healthy(server)
    }

    @Test("hostile signing headers get 401 auth_malformed and the server stays up", .timeLimit(.minutes(5)))
    func hostileHeaders() async throws {
        let server = try RelayTestServer(["--workers", "0"])
        let take = RelayTests.take(server.directory, "take.wav", seconds: 1)
        let request = try server.uploadRequest(take.path)
        let signed = server.client.headers(for: request)
        for date in ["-9223372036854775808", "9223372036854775807", "18446744073709551616", "+1796000000", "1e9", "17 96", "", "١٢٣"] {
            let headers = signed.map { $0.0 == RelayHeaders.date ? ($0.0, date) : $0 }
            let answer = try await server.client.send(request, headers: headers)
            #expect(answer.status == 401 && answer.failure?.code == "auth_malformed", "date \(date): \(String(decoding: answer.body, as: UTF8.self))")
            #expect(await Self.healthy(server), "the server died on date \(date)")
        }
        let longKey = signed.map { $0.0 == RelayHeaders.authorization ? ($0.0, $0.1 + String(repeating: "0", count: 300)) : $0 }
        #expect(try await server.client.send(request, headers: longKey).failure?.code == "auth_malformed")
        let raw = try #require(RawConnection(port: server.port))
        raw.send("POST /v1/takes HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
        let (answer, _) = raw.readUntilClosed(seconds: 5)
        #expect(answer.isEmpty || String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 4"), "\(String(decoding: answer, as: UTF8.self))")
        #expect(await Self.healthy(server))
        #expect(server.heldUploads().isEmpty)
        #expect(server.stop() == 0)
    }

    @Test("what no route takes, and a chunked body whose framing breaks, get JSON errors with reason codes (404, 405, 400), not empty bodies or 500",
          .timeLimit(.minutes(5)))
    func unmatchedAndMalformed() async throws {
        let server = try RelayTestServer(["--workers", "0"])
        let unknown = try await server.get("/nothing")
        #expect(unknown.status == 404 && unknown.failure?.code == "route_not_found", "\(unknown.status) \(String(decoding: unknown.body, as: UTF8.self))")
        let wrongMethod = try await server.client.send(RelayClient.Request(method: .PUT, path: "/v1/takes/0123456789abcdef"), headers: [])
        #expect([404, 405].contains(wrongMethod.status) && wrongMethod.failure != nil, "\(wrongMethod.status) \(String(decoding: wrongMethod.body, as: UTF8.self))")

        let connection = try #require(RawConnection(port: server.port))
        connection.send(try server.rawUploadHead(declaredLength: nil, sha256: String(repeating: "0", count: 64), key: "bad-chunk"))
        connection.send("ffffffffffffffffffff\r\n")
        let (answer, _) = connection.readUntilClosed(seconds: 10)
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400") && text.contains("request_malformed"), "\(text.prefix(300))")
        #expect(await Self.healthy(server))
        #expect(server.heldUploads().isEmpty)
        #expect(server.stop() == 0)
    }

    @Test("200 half-open connections are closed within the header timeout while /healthz answers", .timeLimit(.minutes(5)))
    func halfOpenConnections() async throws {
        let server = try RelayTestServer(["--workers", "0", "--header-timeout", "2"])
        var connections: [RawConnection] = []
        for index in 0..<200 {
            let connection = try #require(RawConnection(port: server.port))
            // Half of them start a request and never finish its headers; the rest say nothing.
            if index % 2 == 0 { connection.send("POST /v1/takes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Takevault-Date: 17") }
            connections.append(connection)
        }
        #expect(await Self.healthy(server), "a new client is served while 200 connections idle")
        let started = ContinuousClock.now
        for connection in connections {
            #expect(connection.readUntilClosed(seconds: 6).closed)
        }
        #expect(ContinuousClock.now - started < .seconds(6), "all closed by the 2 s header timeout (with margin)")
        #expect(await Self.healthy(server))
        #expect(server.stop() == 0)
    }

    @Test("an upload whose body stalls is closed, its partial file deleted and its spool budget returned", .timeLimit(.minutes(5)))
    func stalledBody() async throws {
        let server = try RelayTestServer(["--workers", "0", "--body-min-rate", "65536", "--body-stall-seconds", "2"])
        let take = RelayTests.take(server.directory, "take.wav", seconds: 4)
        let bytes = readBytes(take.path)
        let connection = try #require(RawConnection(port: server.port))
        connection.send(try server.rawUploadHead(declaredLength: bytes.count, sha256: try RelayClient.sha256(file: take.path), key: "stall"))
        connection.send(Array(bytes.prefix(32_768)))
        let (_, closed) = connection.readUntilClosed(seconds: 10)
        #expect(closed, "the server gave up on a body that stopped")
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.heldUploads().isEmpty)
        let metrics = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
        let spoolGauge = metrics.split(separator: "\n").filter { $0.hasPrefix("takevault_relay_spool_bytes{") }
        #expect(spoolGauge.count == 1 && spoolGauge.first.flatMap { Double($0.split(separator: " ").last ?? "") } == 0, "\(spoolGauge)")
        #expect(await Self.healthy(server))
        #expect(server.stop() == 0)
    }

    @Test("stalled chunked uploads hold only what they sent (in 8 MiB steps), not the largest upload each", .timeLimit(.minutes(5)))
    func chunkedUploadsReserveAsTheyGo() async throws {
        // Reserving the 12 MB upload limit for each would fill the 48 MB spool with four stalled uploads.
        let server = try RelayTestServer(["--workers", "0", "--body-min-rate", "0", "--max-upload-bytes", "12000000", "--spool-limit-bytes", "48000000"])
        let take = RelayTests.take(server.directory, "take.wav", seconds: 2)
        let head = Array(readBytes(take.path).prefix(4_096))
        var stalled: [RawConnection] = []
        for index in 0..<4 {
            let connection = try #require(RawConnection(port: server.port))
            connection.send(try server.rawUploadHead(declaredLength: nil, sha256: String(repeating: "0", count: 64), key: "stalled-\(index)"))
            connection.send("1000\r\n")
            connection.send(head)
            connection.send("\r\n")
            stalled.append(connection)
        }
        try await Task.sleep(for: .milliseconds(500))
        let answer = try await server.client.send(try server.uploadRequest(take.path))
        #expect(answer.status == 202, "\(String(decoding: answer.body, as: UTF8.self))")
        #expect(await Self.healthy(server))
        stalled.removeAll()
        #expect(server.stop() == 0)
    }

    @Test("past the connection cap a client gets 503 and is closed; below it, service resumes", .timeLimit(.minutes(5)))
    func connectionCap() async throws {
        let server = try RelayTestServer(["--workers", "0", "--max-connections", "8"])
        var held: [RawConnection] = []
        for _ in 0..<8 { held.append(try #require(RawConnection(port: server.port))) }
        try await Task.sleep(for: .milliseconds(300))
        let extra = try #require(RawConnection(port: server.port))
        let (bytes, closed) = extra.readUntilClosed(seconds: 5)
        #expect(closed && String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 503"))
        held.removeAll()
        #expect(await Self.healthyWithin(server, seconds: 10))
        #expect(server.stop() == 0)
    }

    @Test("a crafted RF64 upload is rejected as a job, the server still serving", .timeLimit(.minutes(5)))
    func craftedUpload() async throws {
        let server = try RelayTestServer()
        for name in ["rf64-data-size-max.wav", "rf64-riff-size-max.wav", "flac-declares-2e36-samples.flac"] {
            let path = RepositoryPaths.root + "/Tests/Fixtures/hostile/" + name
            let answer = try await server.client.send(try server.uploadRequest(path))
            #expect(await Self.healthy(server), "the server died on \(name)")
            guard answer.status == 202 else {
                #expect(answer.status >= 400 && answer.status < 500, "\(name): \(answer.status)")
                continue
            }
            let job = try await server.client.waitForJob(try answer.decode(AcceptedUpload.self).jobID)
            #expect(job.state == .rejected || job.state == .done, "\(name): \(job.state)")
        }
        #expect(await Self.healthy(server))
        #expect(server.stop() == 0)
    }

    @Test("a callback that redirects is not followed; private addresses get nothing unless allowed", .timeLimit(.minutes(5)))
    func callbackTargets() async throws {
        let directory = TestDirectory()
        func listener(_ name: String, _ extra: [String]) throws -> (pid: pid_t, port: String, log: String) {
            let log = directory.file("\(name).jsonl")
            let portFile = directory.file("\(name).port")
            let pid = startProcess("python3", [RepositoryPaths.root + "/Tests/Fixtures/callback-listener.py", "--port-file", portFile, "--out", log] + extra)
            for _ in 0..<100 where !FileManager.default.fileExists(atPath: portFile) { usleep(100_000) }
            return (pid, String(decoding: readBytes(portFile), as: UTF8.self), log)
        }
        let inside = try listener("internal", [])
        defer { killProcess(inside.pid) }
        let redirecting = try listener("redirecting", ["--redirect-to", "http://127.0.0.1:\(inside.port)/metadata"])
        defer { killProcess(redirecting.pid) }
        func lines(_ log: String) -> Int { String(decoding: readBytes(log), as: UTF8.self).split(separator: "\n").count }

        // Allowed to reach loopback: the redirecting target is called (and retried), the redirect never followed.
        let allowed = try RelayTestServer(["--allow-private-callbacks"], callbackURL: "http://127.0.0.1:\(redirecting.port)/jobs",
                                          directory: TestDirectory())
        let take = RelayTests.take(allowed.directory, "take.wav", seconds: 1)
        let accepted = try await allowed.client.upload(file: take.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "cb")
        #expect(try await allowed.client.waitForJob(accepted.jobID).state == .done)
        for _ in 0..<50 where lines(redirecting.log) < 2 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(lines(redirecting.log) >= 2, "a 3xx is not delivery: retried")
        #expect(lines(inside.log) == 0, "the redirect's destination received nothing")
        #expect(allowed.stop() == 0)

        // By default a callback to a loopback address is refused outright.
        let strict = try RelayTestServer(callbackURL: "http://127.0.0.1:\(inside.port)/jobs", directory: TestDirectory())
        let strictTake = RelayTests.take(strict.directory, "take.wav", seconds: 1)
        let strictJob = try await strict.client.upload(file: strictTake.path, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "cb")
        #expect(try await strict.client.waitForJob(strictJob.jobID).state == .done)
        try await Task.sleep(for: .seconds(2))
        #expect(lines(inside.log) == 0, "a loopback callback target received nothing")
        #expect(strict.stop() == 0)
    }
}
