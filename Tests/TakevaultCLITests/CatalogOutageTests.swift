import Foundation
import RelayAPI
import RelayTestSupport
import TakevaultCore
import Testing
import TestSupport

/// The shared catalog goes away under a running relay and comes back: the relay says it is not
/// ready and refuses uploads with 503 and Retry-After meanwhile, recovers by itself, and every
/// upload it acknowledged — one of them frozen mid-ingest while PostgreSQL went down — is
/// archived. The test runs a PostgreSQL cluster of its own, since it stops it.
@Suite("A relay through a PostgreSQL restart", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required,
                                                       "no PostgreSQL (scripts/test.sh installs and starts one)"))
struct CatalogOutageTests {
    /// A private cluster started by scripts/postgres.sh, stopped and resumed by the test.
    final class Cluster: @unchecked Sendable {
        let directory: String
        let url: String
        let password: String

        init() throws {
            var template = Array("/tmp/takevault-pg-outage-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            directory = String(cString: try #require(made))
            let started = run("bash", [RepositoryPaths.root + "/scripts/postgres.sh", "start", directory])
            try #require(started.status == 0, "postgres.sh start: \(started.standardError)")
            func value(_ name: String) -> String? {
                started.standardOutput.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }.map { String($0.dropFirst("export \(name)=".count)) }
            }
            url = try #require(value("TAKEVAULT_TEST_POSTGRES_URL"))
            password = try #require(value("TAKEVAULT_TEST_POSTGRES_PASSWORD"))
        }

        func stop() { run("bash", [RepositoryPaths.root + "/scripts/postgres.sh", "stop", directory]) }
        func resume() -> ProcessResult { run("bash", [RepositoryPaths.root + "/scripts/postgres.sh", "resume", directory]) }

        deinit {
            stop()
            run("rm", ["-rf", directory])
        }
    }

    /// `/readyz`: status code, body and Retry-After (curl, so nothing of the relay's client is in the way).
    func readiness(_ server: RelayTestServer) -> (status: Int, body: [String: String], retryAfter: String?) {
        let answer = run("curl", ["-s", "-i", "--max-time", "60", server.url + "/readyz"])
        let head = answer.standardOutput.components(separatedBy: "\r\n\r\n").first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let retryAfter = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after:") }
            .map { $0.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces) }
        let body = answer.standardOutput.components(separatedBy: "\r\n\r\n").dropFirst().joined()
        return (status, (try? JSONDecoder().decode([String: String].self, from: Data(body.utf8))) ?? [:], retryAfter)
    }

    /// Lets the server past every failpoint stop until `condition` holds or `seconds` pass.
    func keepGoing(_ server: RelayTestServer, seconds: Double, until condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(server.pid, &status, WNOHANG | WUNTRACED) == server.pid, status & 0xff == 0x7f { kill(server.pid, SIGCONT) }
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    @Test("not ready and 503 + Retry-After while PostgreSQL is down; ready again by itself; every acknowledged upload archived",
          .timeLimit(.minutes(5)))
    func restart() async throws {
        let cluster = try Cluster()
        let catalogEnvironment = ["TAKEVAULT_CATALOG": cluster.url, "TAKEVAULT_CATALOG_PASSWORD": cluster.password]
        let server = try RelayTestServer(["--workers", "1", "--lease-seconds", "10"],
                                         environment: catalogEnvironment.merging(["TAKEVAULT_TEST_STOP_AT": Failpoint.ingestCommitted]) { a, _ in a })
        defer { _ = server.stop(seconds: 30) }
        #expect(readiness(server).body["catalog_kind"] == "postgresql")

        // The first take is acknowledged and frozen with its manifest committed and not yet indexed.
        let first = RelayFixtures.take(server.directory, "first.wav", seconds: 2).path
        let accepted = try await server.client.upload(file: first, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "outage-1",
                                                      patience: .seconds(30))
        #expect(waitUntilStopped(server.pid) == .stopped)

        // PostgreSQL goes down under it.
        cluster.stop()
        kill(server.pid, SIGCONT)
        let down = readiness(server)
        #expect(down.status == 503 && down.body["catalog"] == "catalog_unavailable" && down.retryAfter != nil, "\(down)")
        #expect(!down.body.values.contains { $0.contains("127.0.0.1") }, "readiness does not say where the catalog is")
        let second = RelayFixtures.take(server.directory, "second.wav", seconds: 1, seed: 2).path
        do {
            _ = try await server.client.upload(file: second, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "outage-2", patience: .zero)
            Issue.record("an upload was acknowledged with the catalog down")
        } catch let error as RelayClientError {
            #expect(error == .busy(seconds: 0), "503 with Retry-After: \(error)")
        }

        // Back: the relay is ready again without a restart, takes the second upload, and both are archived.
        let resumed = cluster.resume()
        try #require(resumed.status == 0, "postgres.sh resume: \(resumed.standardError)")
        #expect(try await keepGoing(server, seconds: 90) { readiness(server).status == 200 }, "ready again by itself")
        let later = try await server.client.upload(file: second, metadata: UploadMetadata(owner: "u1", tier: .pro), idempotencyKey: "outage-2",
                                                   patience: .seconds(60))
        var finished: [String: JobDocument] = [:]
        let done = try await keepGoing(server, seconds: 120) {
            for id in [accepted.jobID, later.jobID] { finished[id] = try? await server.client.job(id) }
            return finished.values.count == 2 && finished.values.allSatisfy { $0.state == .done }
        }
        #expect(done, "both jobs done: \(finished.mapValues(\.state)); the server's log ends: \(String(decoding: readBytes(server.logPath).suffix(6_000), as: UTF8.self))")
        #expect((finished[accepted.jobID]?.attempts ?? 0) >= 2, "the frozen attempt's outcome was lost with the catalog; a later attempt finished it")

        let environment = catalogEnvironment.map { "\($0.key)=\($0.value)" }
        let listing = run("/usr/bin/env", environment + [CLI.binary, "ls", "--vault", server.vault, "--json"])
        #expect((CLI.json(listing) as? [[String: Any]])?.count == 2, "\(listing.standardOutput) \(listing.standardError)")
        #expect(run("/usr/bin/env", environment + [CLI.binary, "verify", "--vault", server.vault, "--read-data"]).status == 0)
    }
}
