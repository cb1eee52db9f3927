import Foundation
import TakePipeline
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// takevault against SeaweedFS through a proxy that fails on purpose (Tests/Fixtures/
/// s3-fault-proxy.py): 500s and 503 SlowDowns, answers lost after S3 acted, connection resets,
/// stalls. Ingests must complete (retries) or fail with a clear error; no take is ever half
/// visible; verify through a clean connection finds every committed take whole.
@Suite("takevault on a failing S3", .enabled(if: S3TestServer.current != nil, "no S3 test server (scripts/test.sh starts one)"))
struct S3FaultTests {
    let server = S3TestServer.current!

    func startProxy(_ directory: TestDirectory, _ faults: [String]) throws -> (pid_t, String) {
        try #require(server.startFaultProxy(in: directory, faults), "the fault proxy did not start")
    }

    func takevault(endpoint: String, extra: [String: String] = [:], _ arguments: [String]) -> ProcessResult {
        var environment = server.environment(extra: ["TAKEVAULT_S3_PAYLOAD_SIGNING": "always"])
        environment["TAKEVAULT_S3_ENDPOINT"] = endpoint
        for (key, value) in extra { environment[key] = value }
        return run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments)
    }

    @Test("with a fifth of requests failing, every ingest completes and every take verifies", .timeLimit(.minutes(5)))
    func retriesWin() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        let location = "s3://\(server.bucket)/\(S3TestServer.freshPrefix("faults"))"
        #expect(takevault(endpoint: server.endpoint, ["init", "--vault", vault, "--store", location]).status == 0)
        let (proxy, endpoint) = try startProxy(directory, ["--error", "0.10", "--lost-answer", "0.05", "--reset", "0.05", "--stall", "0.02",
                                                            "--stall-seconds", "4", "--seed", "7"])
        defer { killProcess(proxy) }
        let flaky = ["TAKEVAULT_S3_TIMEOUT": "2", "TAKEVAULT_S3_MAX_ATTEMPTS": "10"]
        var takes: [String] = []
        for sample in ["voice-take-48k16-mono.wav", "drums-44k16-stereo.flac", "keys-48k24-stereo.wav", "guitar-44k16-stereo.wav"] {
            let result = takevault(endpoint: endpoint, extra: flaky, ["ingest", "--vault", vault, "--owner", "u1", "--tier", "pro", "--json", CLI.samples + "/" + sample])
            #expect(result.status == 0, "\(sample): \(result.standardOutput) \(result.standardError.suffix(500))")
            if let take = try? CLI.decode(IngestResult.self, result).takeID { takes.append(take) }
        }
        #expect(takes.count == 4)
        // Through a clean connection: everything committed is whole.
        let verify = takevault(endpoint: server.endpoint, ["verify", "--vault", vault, "--read-data", "--json"])
        #expect(verify.status == 0, "\(verify.standardOutput.prefix(2_000))")
        for take in takes {
            #expect(takevault(endpoint: server.endpoint, ["restore", "--vault", vault, take, "--artefact", "master", "-o", directory.file(take + ".flac")]).status == 0)
        }
    }

    @Test("when S3 keeps failing, ingest fails with a clear error, the upload untouched and no take visible", .timeLimit(.minutes(5)))
    func failuresAreClean() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        let location = "s3://\(server.bucket)/\(S3TestServer.freshPrefix("outage"))"
        #expect(takevault(endpoint: server.endpoint, ["init", "--vault", vault, "--store", location]).status == 0)
        let upload = directory.file("take.wav")
        let original = readBytes(CLI.samples + "/voice-take-48k16-mono.wav")
        writeBytes(upload, original)
        let (proxy, endpoint) = try startProxy(directory, ["--error", "0.5", "--lost-answer", "0.2", "--reset", "0.2", "--seed", "3"])
        defer { killProcess(proxy) }
        let result = takevault(endpoint: endpoint, extra: ["TAKEVAULT_S3_MAX_ATTEMPTS": "2"], ["ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--json", upload])
        #expect(result.status == 1, "\(result.standardOutput)")
        let error = try CLI.decode(CLI.Failure.self, result).error
        #expect(["store_error", "store_io_error"].contains(error.code), "\(error)")
        #expect(!error.message.isEmpty)
        #expect(readBytes(upload) == original)
        // Nothing half there: no take listed, verify clean (orphaned chunks are the sweep's, later).
        #expect(try CLI.decode([TakeSummary].self, takevault(endpoint: server.endpoint, ["ls", "--vault", vault, "--json"])).isEmpty)
        #expect(takevault(endpoint: server.endpoint, ["verify", "--vault", vault]).status == 0)
        // And once S3 is back, the same upload goes in.
        #expect(takevault(endpoint: server.endpoint, ["ingest", "--vault", vault, "--owner", "u1", "--tier", "free", upload]).status == 0)
    }
}
