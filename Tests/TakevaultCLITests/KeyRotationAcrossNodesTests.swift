import AudioTestSupport
import Foundation
import RelayAPI
import RelayTestSupport
import TakeArchive
import TakePipeline
import Testing
import TestSupport

/// Rotating the master key of a vault whose nodes each read it from their own key file
/// (docs/SCALING.md, "Rotating the master key"): the next key goes beside every node's file, one
/// node rotates, every node then replaces its file. A node that missed the next key refuses to
/// wrap anything (new owner keys, staged uploads) and says it is not ready, until it has it.
@Suite("Master key rotation across nodes", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required,
                                                     "no PostgreSQL (scripts/test.sh installs and starts one)"))
struct KeyRotationAcrossNodesTests {
    @Test("a node holding an outdated key ring refuses to write and is not ready; once it holds the next key it writes, and both nodes read everything",
          .timeLimit(.minutes(5)))
    func outdatedNodeRefuses() async throws {
        let directory = TestDirectory()
        let postgres = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
        let catalog = try #require(postgres.freshDatabase("keys"))
        let store = directory.file("store")
        let first = MasterKey.generate().fileContents()
        let keyA = directory.write("a.key", bytes: first), keyB = directory.write("b.key", bytes: first)
        chmod(keyA, 0o600)
        chmod(keyB, 0o600)
        let environmentA = ["TAKEVAULT_CATALOG_PASSWORD": postgres.password, "TAKEVAULT_MASTER_KEY_FILE": keyA]
        let environmentB = ["TAKEVAULT_CATALOG_PASSWORD": postgres.password, "TAKEVAULT_MASTER_KEY_FILE": keyB]
        // Commands are waited for off the concurrency pool (``offPool``).
        func on(_ environment: [String: String], _ arguments: [String]) async -> ProcessResult {
            let command = environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments
            return await offPool { run("/usr/bin/env", command) }
        }
        let a = directory.file("node-a"), b = directory.file("node-b")
        #expect(await on(environmentA, ["init", "--vault", a, "--store", store, "--catalog", catalog]).status == 0)
        let relay = try RelayTestServer(["--workers", "0", "--node", "b"], directory: directory, environment: environmentB, vaultName: "node-b",
                                        initArguments: ["--store", store, "--catalog", catalog])
        defer { _ = relay.stop() }

        let before = directory.file("before.wav")
        writeWAV(before, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 1), bits: 16)
        let u1 = try CLI.decode(IngestResult.self, await on(environmentA, ["ingest", "--vault", a, "--owner", "u1", "--tier", "pro", "--json", before])).takeID

        // The next key on node A only; A rotates the vault to it.
        #expect(await on([:], ["keys", "generate", keyA + ".next"]).status == 0)
        let rotated = await on(environmentA, ["keys", "rotate", "--vault", a, "--json"])
        #expect(rotated.status == 0, "\(rotated.standardError)")
        #expect(await on([:], ["keys", "generate", keyA + ".next"]).status != 0, "keys generate never overwrites a key file")

        // Node B, still on the old key alone, wraps nothing: no new owner, no staged upload; not ready.
        let after = directory.file("after.wav")
        writeWAV(after, channels: toneChannels(2, frames: 48_000, bits: 16, seed: 2), bits: 16)
        let refused = await on(environmentB, ["ingest", "--vault", b, "--owner", "u2", "--tier", "pro", after])
        #expect(refused.status != 0 && refused.standardError.contains("master_key_outdated"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: store + "/" + ObjectNames.keysPrefix(owner: "u2")), "nothing of u2 was written")
        let notReady = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", relay.url + "/readyz"])
        #expect(notReady.standardOutput == "503")
        #expect(run("curl", ["-s", relay.url + "/readyz"]).standardOutput.contains("\"keys\":\"master_key_outdated\""))
        do {
            _ = try await relay.client.upload(file: after, metadata: UploadMetadata(owner: "u3", tier: .pro), idempotencyKey: "k-1", patience: .zero)
            Issue.record("an outdated node acknowledged an upload")
        } catch let error as RelayClientError {
            #expect(error == .busy(seconds: 0), "503 with Retry-After: \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: store + "/" + StagingNames.ownerPrefix("u3")))

        // The next key installed on B (beside its file): B writes again, without a restart.
        try FileManager.default.copyItem(atPath: keyA + ".next", toPath: keyB + ".next")
        #expect(run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", relay.url + "/readyz"]).standardOutput == "200")
        let u2 = try CLI.decode(IngestResult.self, await on(environmentB, ["ingest", "--vault", b, "--owner", "u2", "--tier", "pro", "--json", after])).takeID
        _ = try await relay.client.upload(file: after, metadata: UploadMetadata(owner: "u3", tier: .pro), idempotencyKey: "k-2", patience: .seconds(30))

        // A node holding a key the vault does not use (another vault's, or one that missed a
        // rotation) may not rotate the vault to a key of its own: refused before anything changes.
        let rogue = directory.write("rogue.key", bytes: MasterKey.generate().fileContents())
        chmod(rogue, 0o600)
        #expect(await on([:], ["keys", "generate", rogue + ".next"]).status == 0)
        let rogueRotation = await on(["TAKEVAULT_CATALOG_PASSWORD": postgres.password, "TAKEVAULT_MASTER_KEY_FILE": rogue], ["keys", "rotate", "--vault", b])
        #expect(rogueRotation.status != 0 && rogueRotation.standardError.contains("master_key_outdated"), "\(rogueRotation.standardError)")
        #expect(run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", relay.url + "/readyz"]).standardOutput == "200", "the vault's nodes still write")

        // The old key retired on both nodes: each reads every take, the ones from before the rotation included.
        for key in [keyA, keyB] {
            #expect(rename(key + ".next", key) == 0)
        }
        for (environment, vault) in [(environmentA, a), (environmentB, b)] {
            for take in [u1, u2] {
                #expect(await on(environment, ["restore", "--vault", vault, take, "--artefact", "master", "-o", directory.file("\(take)-\(vault.suffix(1)).flac")]).status == 0)
            }
            let verified = await on(environment, ["verify", "--vault", vault, "--read-data"])
            #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        }
    }
}
