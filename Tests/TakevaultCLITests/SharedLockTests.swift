import Foundation
import AudioTestSupport
import TakeArchive
import TakePipeline
import Testing
import TestSupport

/// Operations on two nodes of one vault — two vault folders sharing a PostgreSQL catalog, a store
/// and a master key — order themselves as they do on one machine: through PostgreSQL advisory
/// locks instead of files. Processes are frozen at named points, not timed.
@Suite("Locks across nodes (PostgreSQL advisory locks)", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required,
                                                                 "no PostgreSQL (scripts/test.sh installs and starts one)"))
struct SharedLockTests {
    /// Two nodes' vault folders on one shared catalog and store.
    struct Nodes {
        let directory = TestDirectory()
        let environment: [String: String]
        var a: String { directory.file("node-a") }
        var b: String { directory.file("node-b") }
        /// The store both nodes use (a folder here; a bucket in production): `init --store` records it.
        var store: String { directory.file("store") }

        init() throws {
            let server = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
            let catalog = try #require(server.freshDatabase("locks"))
            let key = directory.write("master.key", bytes: MasterKey.generate().fileContents())
            chmod(key, 0o600)
            environment = ["TAKEVAULT_CATALOG_PASSWORD": server.password, "TAKEVAULT_MASTER_KEY_FILE": key]
            for node in [a, b] {
                let made = run(node, ["init", "--vault", node, "--store", store, "--catalog", catalog])
                try #require(made.status == 0, "\(made.standardError)")
            }
        }

        func run(_ vault: String, _ arguments: [String]) -> ProcessResult {
            TestSupport.run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments)
        }

        /// Starts `arguments` and waits until it stops itself at `point`.
        func frozen(_ arguments: [String], at point: String, sourceLocation: SourceLocation = #_sourceLocation) -> pid_t {
            let output = directory.file("\(arguments[0])-\(UInt32.random(in: 0...UInt32.max)).log")
            let pid = startProcess(CLI.binary, arguments, outputPath: output,
                                   environment: environment.merging(["TAKEVAULT_TEST_STOP_AT": point]) { a, _ in a })
            #expect(waitUntilStopped(pid) == .stopped, "\(arguments[0]) never reached \(point): \(String(decoding: readBytes(output), as: UTF8.self))",
                    sourceLocation: sourceLocation)
            return pid
        }
    }

    @Test("a tier change on one node waits for a reprocess of the same owner on another, then re-dates its generation", .timeLimit(.minutes(5)))
    func tierChangeWaitsAcrossNodes() throws {
        let nodes = try Nodes()
        let file = nodes.directory.file("take.wav")
        writeWAV(file, channels: toneChannels(2, frames: 96_000, bits: 24, seed: 3), bits: 24)
        let ingested = nodes.run(nodes.a, ["ingest", "--vault", nodes.a, "--owner", "u1", "--tier", "free", "--json", file])
        let take = try CLI.decode(IngestResult.self, ingested).takeID

        let reprocess = nodes.frozen(["reprocess", "--vault", nodes.a, "--take", take, "--target-lufs", "-18"], at: "reprocess.sealed")
        let tier = nodes.frozen(["owner", "tier", "u1", "studio", "--vault", nodes.b], at: "lock.waiting")
        kill(tier, SIGCONT)
        kill(reprocess, SIGCONT)
        #expect(waitForExit(reprocess) == 0)
        #expect(waitForExit(tier) == 0)

        let manifest = try CLI.decode(Inspect.Manifest.self, nodes.run(nodes.b, ["inspect", "--vault", nodes.b, take, "--json"]))
        #expect(manifest.header.generation == 2)
        #expect(manifest.header.tier == .studio && manifest.header.retainUntil == nil, "the tier change came after the reprocess, not under it")
        #expect(nodes.run(nodes.a, ["verify", "--vault", nodes.a, "--read-data"]).status == 0)
    }

    @Test("a node killed while it holds locks leaves nothing locked: a catalog rebuild (the vault exclusive) waiting on another node goes ahead",
          .timeLimit(.minutes(5)))
    func killedHolderReleases() throws {
        let nodes = try Nodes()
        let file = nodes.directory.file("take.wav")
        writeWAV(file, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 4), bits: 16)
        let ingest = nodes.frozen(["ingest", "--vault", nodes.a, "--owner", "u1", "--tier", "pro", file], at: "ingest.locked")
        let rebuild = nodes.frozen(["catalog", "rebuild", "--vault", nodes.b], at: "lock.waiting")
        kill(rebuild, SIGCONT)
        kill(ingest, SIGKILL)
        _ = waitForExit(ingest)
        #expect(waitForExit(rebuild) == 0, "the dead node's session ended and its locks with it")
    }
}
