import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ObjectStore
import RelayAPI
@testable import RelayServer
import RelayTestSupport
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// The delivery API (docs/RELAY.md, "Delivery"): every artefact fetched through the relay is byte
/// for byte what `restore` writes; ranges, entity tags and conditional requests behave as HTTP
/// says; damage mid-stream breaks the transfer instead of sending wrong bytes; a relay cannot tell a
/// take outside its scope from one that does not exist.
@Suite("Relay delivery: summaries, artefacts, ranges, sessions")
struct DeliveryTests {
    /// 64 KiB chunks, so a few seconds of audio make a master of several chunks.
    static let smallChunks = ["TAKEVAULT_CHUNK_SIZE": "65536"]

    static func ingest(_ relay: InProcessRelay, _ name: String, owner: String = "u1", session: String? = nil, seconds: Double = 3,
                       seed: UInt64 = 1) async throws -> String {
        let file = RelayFixtures.take(relay.directory, name, seconds: seconds, seed: seed)
        let metadata = TakeMetadata(sessionID: session, participants: [Participant(id: "u9", role: "producer")])
        return try await Ingest(vault: relay.vault).run(IngestRequest(path: file.path, owner: owner, tier: .studio, metadata: metadata)).takeID
    }

    /// A signed GET of `path` with extra headers (conditional and range requests).
    static func get(_ server: InProcessRelay.Session, _ path: String, client: RelayClient? = nil, _ extra: [(String, String)] = []) async throws -> RelayClient.Answer {
        let client = client ?? server.client
        let request = RelayClient.Request(method: .GET, path: path)
        return try await client.send(request, headers: client.headers(for: request) + extra)
    }

    @Test("every artefact fetched whole is byte for byte what restore writes, with its type, length and entity tag", .timeLimit(.minutes(5)))
    func artefactsMatchRestore() async throws {
        let relay = try InProcessRelay(environment: Self.smallChunks)
        let take = try await Self.ingest(relay, "take.wav")
        try await relay.serve { server in
            let summary = try await server.client.takeSummary(take)
            #expect(summary["take_id"]?.stringValue == take && summary["owner"]?.stringValue == "u1")
            #expect(summary["retain_until"] == .null, "a studio take is kept until deleted, and the summary says so")
            #expect(summary["participants"]?.arrayValue?.first?["id"]?.stringValue == "u9")
            let manifest = try await Inspect(vault: relay.vault).run(take: take)
            #expect(manifest.body.artefact(.master)!.chunks.count > 2, "the master spans several chunks")
            for kind in ArtefactKind.known {
                let artefact = try #require(manifest.body.artefact(kind))
                let restored = relay.directory.file("restored-\(kind)"), fetched = relay.directory.file("fetched-\(kind)")
                _ = try await Restore(vault: relay.vault).run(take: take, artefact: kind, to: restored)
                let downloaded = try await server.client.download(take: take, artefact: kind.rawValue, to: fetched)
                #expect(downloaded.status == 200)
                #expect(readBytes(fetched) == readBytes(restored), "\(kind)")
                #expect(downloaded.entityTag == "\"\(artefact.sha256)\"" && downloaded.contentType == artefact.mediaType)
                let entry = summary["artefacts"]?.arrayValue?.first { $0["kind"]?.stringValue == kind.rawValue }
                #expect(entry?["sha256"]?.stringValue == artefact.sha256 && entry?["bytes"]?.doubleValue == Double(artefact.bytes))
            }
        }
    }

    @Test("ranges at the start, middle and end, across a chunk boundary, suffix and open-ended; unsatisfiable ones are 416", .timeLimit(.minutes(5)))
    func ranges() async throws {
        let relay = try InProcessRelay(environment: Self.smallChunks)
        let take = try await Self.ingest(relay, "take.wav")
        let whole = relay.directory.file("master.flac")
        _ = try await Restore(vault: relay.vault).run(take: take, artefact: .master, to: whole)
        let bytes = readBytes(whole), length = Int64(bytes.count)
        let boundary = 65_536
        try await relay.serve { server in
            let cases: [(header: String, expected: Range<Int>)] = [
                ("bytes=0-99", 0..<100),
                ("bytes=\(boundary - 10)-\(boundary + 9)", (boundary - 10)..<(boundary + 10)),   // crosses chunk 0 → 1
                ("bytes=\(boundary)-\(boundary)", boundary..<(boundary + 1)),                    // the first byte of chunk 1
                ("bytes=\(bytes.count / 2)-\(bytes.count / 2 + 3 * boundary)", (bytes.count / 2)..<(bytes.count / 2 + 3 * boundary + 1)),
                ("bytes=-100", (bytes.count - 100)..<bytes.count),
                ("bytes=\(bytes.count - 5)-", (bytes.count - 5)..<bytes.count),
                ("bytes=\(bytes.count - 5)-\(bytes.count + 1_000)", (bytes.count - 5)..<bytes.count),   // the end clamped
                ("bytes=-\(bytes.count + 50)", 0..<bytes.count),                                        // a suffix longer than the artefact
            ]
            for (index, check) in cases.enumerated() {
                let file = relay.directory.file("range-\(index)")
                let downloaded = try await server.client.download(take: take, artefact: "master", range: check.header, to: file)
                #expect(downloaded.status == 206, "\(check.header)")
                #expect(readBytes(file) == Array(bytes[check.expected]), "\(check.header)")
                #expect(downloaded.contentRange == "bytes \(check.expected.lowerBound)-\(check.expected.upperBound - 1)/\(length)", "\(check.header)")
            }
            for header in ["bytes=\(length)-", "bytes=\(length + 10)-\(length + 20)", "bytes=-0", "bytes=99999999999999999999-"] {
                let answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/master", [("Range", header)])
                #expect(answer.status == 416, "\(header)")
                #expect(answer.headers.first(name: "content-range") == "bytes */\(length)")
                #expect(answer.failure?.code == "range_not_satisfiable")
            }
            // Not a single byte range: the whole artefact, as the RFC allows.
            for header in ["bytes=0-1,5-9", "items=0-5", "bytes=9-2", "bytes=abc"] {
                let answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/preview", [("Range", header)])
                #expect(answer.status == 200, "\(header)")
            }
        }
    }

    @Test("If-None-Match with the entity tag is 304 with no body; If-Range with another tag sends the whole artefact", .timeLimit(.minutes(5)))
    func conditionalRequests() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay, "take.wav", seconds: 1)
        let preview = try #require(try await Inspect(vault: relay.vault).run(take: take).body.artefact(.preview))
        let tag = "\"\(preview.sha256)\""
        try await relay.serve { server in
            let path = "/v1/takes/\(take)/artefacts/preview"
            for header in [tag, "W/\(tag)", "\"other\", \(tag)", "*"] {
                let answer = try await Self.get(server, path, [("If-None-Match", header)])
                #expect(answer.status == 304 && answer.body.isEmpty, "\(header)")
                #expect(answer.headers.first(name: "etag") == tag)
            }
            #expect(try await Self.get(server, path, [("If-None-Match", "\"other\"")]).status == 200)
            #expect(try await Self.get(server, path, [("If-None-Match", "\"" + String(repeating: "a,", count: 3000) + "\"")]).status == 200)
            let sameTag = try await Self.get(server, path, [("Range", "bytes=0-9"), ("If-Range", tag)])
            #expect(sameTag.status == 206 && sameTag.body.count == 10)
            let otherTag = try await Self.get(server, path, [("Range", "bytes=0-9"), ("If-Range", "\"stale\"")])
            #expect(otherTag.status == 200 && Int64(otherTag.body.count) == preview.bytes)
        }
    }

    @Test("a chunk that fails authentication mid-stream breaks the transfer: no file, no wrong bytes, and verify names the chunk", .timeLimit(.minutes(5)))
    func damagedChunkAbortsTransfer() async throws {
        let relay = try InProcessRelay(environment: Self.smallChunks)
        let take = try await Self.ingest(relay, "take.wav")
        let master = try #require(try await Inspect(vault: relay.vault).run(take: take).body.artefact(.master))
        // The third chunk: two chunks' worth of good bytes go out before the damage is met.
        let chunk = ObjectNames.chunk(owner: "u1", id: master.chunks[2].id)
        let path = relay.vault.root + "/store/" + chunk
        var sealed = readBytes(path)
        sealed[100] ^= 0x01
        writeBytes(path, sealed)
        try await relay.serve { server in
            let output = relay.directory.file("broken.flac")
            await #expect(throws: RelayClientError.self) {
                _ = try await server.client.download(take: take, artefact: "master", to: output)
            }
            #expect(!relay.directory.exists(output), "a broken transfer leaves no file")
            #expect(try FileManager.default.contentsOfDirectory(atPath: relay.directory.path).allSatisfy { !$0.contains(".part-") })
            // The raw response: headers went out, then fewer bytes than Content-Length announced.
            let request = RelayClient.Request(method: .GET, path: "/v1/takes/\(take)/artefacts/master")
            do {
                let answer = try await server.client.send(request)
                Issue.record("the damaged artefact arrived whole: \(answer.status), \(answer.body.count) bytes")
            } catch {}
            // A range before the damage is served; one over it is broken too.
            let before = try await server.client.download(take: take, artefact: "master", range: "bytes=0-1000", to: relay.directory.file("before"))
            #expect(before.bytes == 1001)
            let exposition = String(decoding: try await server.get("/metrics").body, as: UTF8.self)
            #expect(exposition.contains("takevault_relay_delivery_failures_total{node=\"node-a\",reason=\"authentication_failed\"} 2"), "\(exposition)")
        }
        let report = try await Verify(vault: relay.vault).run(readData: true)
        #expect(report.failures.contains { $0.object == chunk || $0.message.contains(chunk) }, "\(report.failures)")
    }

    @Test("a take outside the relay's scope and a take that does not exist get the same 404; so do sessions", .timeLimit(.minutes(5)))
    func scope() async throws {
        let relay = try InProcessRelay()
        let inScope = try await Self.ingest(relay, "a.wav", owner: "team-x", session: "s1", seconds: 1)
        let outside = try await Self.ingest(relay, "b.wav", owner: "u2", session: "s1", seconds: 1, seed: 2)
        try await relay.serve { server in
            let relayB = server.client(RelayFixtures.relayB)
            #expect(try await Self.get(server, "/v1/takes/\(inScope)", client: relayB).status == 200)
            let unknown = String(repeating: "0", count: 32)
            for take in [outside, unknown, "not a take", String(repeating: "x", count: 5_000)] {
                let escaped = take.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? take
                for suffix in ["", "/artefacts/preview", "/artefacts/master"] {
                    let answer = try await Self.get(server, "/v1/takes/\(escaped)\(suffix)", client: relayB)
                    #expect(answer.status == 404 && answer.failure?.code == "take_not_found", "\(take.prefix(40))\(suffix): \(answer.status)")
                }
            }
            #expect(try await Self.get(server, "/v1/takes/\(outside)").status == 200, "relay A's scope is every owner")
            #expect(try await Self.get(server, "/v1/takes/\(inScope)/artefacts/nonsense").failure?.code == "artefact_not_found")
            for path in ["/v1/sessions/s1/takes?owner=u2", "/v1/sessions/nope/takes?owner=team-x", "/v1/sessions/s1/takes?owner=nobody-at-all"] {
                let answer = try await Self.get(server, path, client: relayB)
                #expect(answer.status == 404 && answer.failure?.code == "session_not_found", "\(path)")
            }
            #expect(try await Self.get(server, "/v1/sessions/s1/takes?owner=team-x", client: relayB).status == 200)
            // Unsigned, or signed for another path: nothing.
            #expect(try await server.get("/v1/takes/\(inScope)").status == 401)
            let forged = try await server.client.send(RelayClient.Request(method: .GET, path: "/v1/takes/\(inScope)"),
                                                      headers: server.client.headers(for: RelayClient.Request(method: .GET, path: "/v1/takes/\(outside)")))
            #expect(forged.status == 401)
        }
    }

    @Test("a restricted owner's summary says so and none of their artefacts is delivered; lifted, they are", .timeLimit(.minutes(5)))
    func restrictedOwner() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay, "take.wav", seconds: 1)
        try await OwnerAdministration(vault: relay.vault).restrict(owner: "u1")
        try await relay.serve { server in
            #expect(try await server.client.takeSummary(take)["restricted"] == .bool(true))
            for kind in ArtefactKind.known {
                let answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/\(kind)")
                #expect(answer.status == 403 && answer.failure?.code == "owner_restricted", "\(kind)")
            }
            try await OwnerAdministration(vault: relay.vault).restrict(owner: "u1", lift: true)
            #expect(try await Self.get(server, "/v1/takes/\(take)/artefacts/master").status == 200)
        }
    }

    @Test("a session's takes come oldest first, a page at a time, each take once", .timeLimit(.minutes(5)))
    func sessionPages() async throws {
        let relay = try InProcessRelay()
        var takes: [String] = []
        for index in 0..<5 { takes.append(try await Self.ingest(relay, "t\(index).wav", session: "band", seconds: 0.5, seed: UInt64(index + 1))) }
        _ = try await Self.ingest(relay, "other.wav", session: "solo", seconds: 0.5, seed: 9)
        let expected = try await relay.vault.catalog.takes(owner: "u1").filter { $0.sessionID == "band" }
            .sorted { ($0.ingestedAt, $0.id) < ($1.ingestedAt, $1.id) }.map(\.id)
        #expect(Set(expected) == Set(takes))
        try await relay.serve { server in
            var seen: [String] = []
            var after: String?
            var pages = 0
            repeat {
                let page = try await server.client.sessionTakes(owner: "u1", session: "band", after: after, limit: 2)
                seen += page["takes"]?.arrayValue?.compactMap { $0["take_id"]?.stringValue } ?? []
                after = page["next"]?.stringValue
                pages += 1
            } while after != nil && pages < 10
            #expect(seen == expected && pages == 3)
            for query in ["owner=u1&limit=0", "owner=u1&limit=201", "owner=u1&limit=x", "owner=u1&after=zz", "limit=2"] {
                let answer = try await Self.get(server, "/v1/sessions/band/takes?\(query)")
                #expect(answer.status == 400, "\(query)")
            }
            // A made-up cursor (they are not signed) for a session with no takes is the same 404 as
            // no cursor; past the end of a real session it is an empty last page.
            let madeUp = SessionCursor(owner: "u1", session: "nothing", ingestedAt: "2000-01-01T00:00:00Z", takeID: "0").token
            let empty = try await Self.get(server, "/v1/sessions/nothing/takes?owner=u1&after=\(madeUp)")
            let missing = try await Self.get(server, "/v1/sessions/nothing/takes?owner=u1")
            #expect(empty.status == 404 && missing.status == 404 && empty.body == missing.body, "\(empty.status) \(String(decoding: empty.body, as: UTF8.self))")
            let pastEnd = SessionCursor(owner: "u1", session: "band", ingestedAt: "2999-01-01T00:00:00Z", takeID: "0").token
            let last = try await Self.get(server, "/v1/sessions/band/takes?owner=u1&after=\(pastEnd)")
            let lastPage = try JSONDecoder().decode(JSONValue.self, from: Data(last.body))
            #expect(last.status == 200 && lastPage["takes"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("a key rotation or another owner's erasure by another process does not stop a running server delivering", .timeLimit(.minutes(5)))
    func deliveryAfterRotation() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay, "take.wav", seconds: 1)
        _ = try await Self.ingest(relay, "other.wav", owner: "zz", seconds: 1, seed: 2)
        try await relay.serve { server in
            #expect(try await Self.get(server, "/v1/takes/\(take)/artefacts/preview").status == 200)
            // Another process: its own vault object, its own key ring.
            let elsewhere = try Vault.open(at: relay.vault.root, environment: [:])
            _ = try await KeyRotation(vault: elsewhere).run()
            #expect(try await Self.get(server, "/v1/takes/\(take)").status == 200)
            #expect(try await Self.get(server, "/v1/takes/\(take)/artefacts/master").status == 200)
            _ = try await Erasure(vault: elsewhere).erase(owner: "zz")
            #expect(try await Self.get(server, "/v1/takes/\(take)/artefacts/preview").status == 200)
        }
    }

    /// A master of several MiB (noise compresses badly): more than the socket buffers hold, so a
    /// client that reads nothing stalls the transfer.
    static func stalledTransfer(_ relay: InProcessRelay) async throws -> (take: String, master: Artefact) {
        let take = try await Self.ingest(relay, "long.wav", seconds: 60)
        let master = try #require(try await Inspect(vault: relay.vault).run(take: take).body.artefact(.master))
        #expect(master.bytes > 8 << 20)
        return (take, master)
    }

    static func stall(_ server: InProcessRelay.Session, take: String) async throws -> StalledReader {
        let port = UInt16(server.url.split(separator: ":").last.flatMap { Int($0) } ?? 0)
        let request = RelayClient.Request(method: .GET, path: "/v1/takes/\(take)/artefacts/master")
        var head = "GET \(request.path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in server.client.headers(for: request) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let stalled = try StalledReader(port: port, request: head)
        // Its transfer has begun (and holds its place) once the response head reaches it.
        #expect(try await stalled.awaitResponse(seconds: 30), "the stalled request was answered")
        return stalled
    }

    @Test("restricting the owner ends a transfer under way at its next chunk: the client's body ends short", .timeLimit(.minutes(5)))
    func restrictedMidTransfer() async throws {
        let relay = try InProcessRelay { $0.connectionLimits.sendStallTimeout = nil }
        let (take, master) = try await Self.stalledTransfer(relay)
        try await relay.serve { server in
            let stalled = try await Self.stall(server, take: take)
            try await OwnerAdministration(vault: relay.vault).restrict(owner: "u1")
            let (received, closed) = try await stalled.drainUntilClosed(seconds: 60)
            #expect(closed && received < Int(master.bytes), "\(received) of \(master.bytes) bytes, closed: \(closed)")
        }
    }

    @Test("correcting a take's metadata during a transfer does not break it: the artefacts' bytes are the same objects", .timeLimit(.minutes(5)))
    func amendedMidTransfer() async throws {
        let relay = try InProcessRelay { $0.connectionLimits.sendStallTimeout = nil }
        let (take, master) = try await Self.stalledTransfer(relay)
        try await relay.serve { server in
            let stalled = try await Self.stall(server, take: take)
            let correction = try MetadataCorrection.parse(Array(#"{"session_id": "renamed"}"#.utf8))
            _ = try await TakeAmendment(vault: relay.vault).amend(take: take, correction: correction, by: "test")
            #expect(try await Inspect(vault: relay.vault).run(take: take).header.generation == 2)
            // The whole body arrives (headers come on top) and the connection stays open for the next request.
            let (received, closed) = try await stalled.drainUntilClosed(seconds: 15)
            #expect(!closed && received > Int(master.bytes), "\(received) bytes for a \(master.bytes)-byte master, closed: \(closed)")
        }
    }

    @Test("fetch and restore write only files: a FIFO or a device at the output path is refused and left as it was", .timeLimit(.minutes(5)))
    func outputMustBeAFile() async throws {
        let relay = try InProcessRelay()
        let take = try await Self.ingest(relay, "take.wav")
        let fifo = relay.directory.file("a-fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        func isFIFO(_ path: String) -> Bool {
            var status = stat()
            return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO
        }
        try await relay.serve { server in
            await #expect(throws: RelayClientError.self) { try await server.client.download(take: take, artefact: "preview", to: fifo) }
        }
        await #expect(throws: SystemError.self) { try await Restore(vault: relay.vault).run(take: take, artefact: .preview, to: fifo) }
        #expect(isFIFO(fifo))
        // A device is refused before anything is written (checked, not written: /dev/null stays the null device).
        #expect(throws: SystemError.self) { try AtomicOutput.checkReplaceable("/dev/null") }
        #expect(throws: SystemError.self) { try AtomicOutput.checkReplaceable(relay.directory.path) }
        try AtomicOutput.checkReplaceable(relay.directory.file("new-file"))
    }

    @Test("past --max-transfers the next artefact request is 503 with Retry-After; the place is free again when the transfer ends", .timeLimit(.minutes(5)))
    func transferLimit() async throws {
        // No stall timeout here: the stalled transfer holds its place until this test lets it go.
        let relay = try InProcessRelay { $0.connectionLimits.sendStallTimeout = nil; $0.maximumTransfers = 1 }
        let (take, _) = try await Self.stalledTransfer(relay)
        try await relay.serve { server in
            var stalled: StalledReader? = try await Self.stall(server, take: take)
            let busy = try await Self.get(server, "/v1/takes/\(take)/artefacts/preview")
            #expect(busy.status == 503 && busy.failure?.code == "relay_busy" && busy.headers.first(name: "retry-after") != nil,
                    "\(busy.status) \(busy.failure?.code ?? "")")
            withExtendedLifetime(stalled) {}
            stalled = nil   // closed: the transfer fails and gives its place back
            var answer = busy
            for _ in 0..<300 where answer.status == 503 {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/preview")
            }
            #expect(answer.status == 200)
        }
    }

    @Test("a client that stops reading is dropped after the send-stall timeout: its transfer ends short and its place is freed", .timeLimit(.minutes(5)))
    func stalledReader() async throws {
        let relay = try InProcessRelay { $0.connectionLimits.sendStallTimeout = .seconds(1); $0.maximumTransfers = 1 }
        let (take, master) = try await Self.stalledTransfer(relay)
        try await relay.serve { server in
            let stalled = try await Self.stall(server, take: take)
            // It never reads: the server gives up on it (its timeout, one second) and the one
            // transfer allowed goes to the next request (polled; reading here would unstall it).
            var answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/preview")
            for _ in 0..<300 where answer.status == 503 {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await Self.get(server, "/v1/takes/\(take)/artefacts/preview")
            }
            // What it can still read ends short of the body: the connection was closed under it.
            let (received, closed) = try await stalled.drainUntilClosed(seconds: 60)
            #expect(closed && received < Int(master.bytes), "\(received) of \(master.bytes) bytes, closed: \(closed)")
            #expect(answer.status == 200)
        }
    }
}

/// A TCP client with a small receive buffer that sends one request and reads nothing until asked.
final class StalledReader {
    let socket: Int32

    init(port: UInt16, request: String) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 4_096
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = request.utf8CString.withUnsafeBufferPointer { send(socket, $0.baseAddress, $0.count - 1, 0) }
    }

    // Both waits poll without blocking and sleep between polls: a blocking read here would hold one
    // of the few threads every async test and the in-process servers share.

    /// Waits until the first bytes of the response have arrived, without consuming them; `false`
    /// if none came within `seconds`.
    func awaitResponse(seconds: Double) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var byte: UInt8 = 0
        while ContinuousClock.now < deadline {
            if recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 1 { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Reads what the socket holds until the server has closed the connection (the stall timeout)
    /// or `seconds` pass; returns the bytes of the response (head included) and whether it closed.
    func drainUntilClosed(seconds: Double) async throws -> (bytes: Int, closed: Bool) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return (total, true) }
            if count > 0 {
                total += count
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try await Task.sleep(for: .milliseconds(20))
            } else {
                return (total, true)   // reset by the server: closed as well
            }
        }
        return (total, false)
    }

    deinit { close(socket) }
}

