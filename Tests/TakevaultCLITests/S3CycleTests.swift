import Foundation
import TakePipeline
@testable import ObjectStore
import Testing
import TestSupport

/// The whole life of takes on S3 (a real SeaweedFS), through the binary: init with `--store
/// s3://…`, ingest, verify, catalog rebuild from the bucket alone, holds and the sweep, erasure —
/// and the lifecycle backstop's rules, which must match the tags the objects really carry.
@Suite("takevault on S3 (SeaweedFS)", .enabled(if: S3TestServer.current != nil, "no S3 test server (scripts/test.sh starts one)"))
struct S3CycleTests {
    let server = S3TestServer.current!

    func takevault(_ arguments: String...) -> ProcessResult {
        let environment = server.environment(extra: ["TAKEVAULT_S3_PAYLOAD_SIGNING": "always"]).map { "\($0.key)=\($0.value)" }
        return run("/usr/bin/env", environment + [CLI.binary] + arguments)
    }

    func store(prefix: String) throws -> S3Store {
        S3Store(configuration: try S3Configuration.from(url: "s3://\(server.bucket)/\(prefix)", region: "eu-west-1", environment: server.environment()))
    }

    @Test("ingest → verify → rebuild → hold → sweep → erase, every object tagged, nothing left behind", .timeLimit(.minutes(5)))
    func cycle() async throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        let prefix = S3TestServer.freshPrefix("cycle")
        let location = "s3://\(server.bucket)/\(prefix)"
        #expect(takevault("init", "--vault", vault, "--store", location).status == 0)
        #expect(!FileManager.default.fileExists(atPath: vault + "/store/v1"))

        // Config remembers the store: no --store from here on.
        let free = takevault("ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--json", CLI.samples + "/voice-take-48k16-mono.wav")
        #expect(free.status == 0, "\(free.standardError)")
        let freeTake = try CLI.decode(IngestResult.self, free).takeID
        let pro = takevault("ingest", "--vault", vault, "--owner", "u2", "--tier", "pro", "--json", CLI.samples + "/drums-44k16-stereo.flac")
        #expect(pro.status == 0, "\(pro.standardError)")
        let proTake = try CLI.decode(IngestResult.self, pro).takeID
        #expect(takevault("verify", "--vault", vault, "--read-data").status == 0)

        // Every object is in the bucket under the prefix, tagged as the lifecycle rules expect.
        let s3 = try store(prefix: prefix)
        let objects = try await s3.list(prefix: "v1/")
        #expect(objects.count > 6)
        for object in objects {
            let tags = try #require(try await s3.head(object.name)?.tags)
            #expect(tags.region == "eu-west-1" && !tags.held, "\(object.name)")   // kind: decoding the tags checked it
        }
        let rules = takevault("lifecycle", "print", "--vault", vault)
        #expect(rules.status == 0)
        #expect(rules.standardOutput.contains("<Prefix>\(prefix)/v1/owners/</Prefix>"))

        // The catalog is an index: rebuilt from the bucket alone, the same takes restore.
        try FileManager.default.removeItem(atPath: vault + "/catalog.sqlite")
        #expect(takevault("catalog", "rebuild", "--vault", vault).status == 0)
        let restored = directory.file("master.flac")
        #expect(takevault("restore", "--vault", vault, proTake, "--artefact", "master", "-o", restored).status == 0)
        #expect(run("flac", ["--test", "--silent", restored]).status == 0)

        // A hold marks u1's objects held (the backstop skips them) and keeps the take past its time.
        #expect(takevault("owner", "hold", "u1", "--vault", vault, "--reason", "investigation", "--by", "ops").status == 0)
        // Manifests and chunks, what the lifecycle backstop's rules match (owner and take keys carry
        // no retain-until: no expiry rule can reach them).
        let heldObjects = try await s3.list(prefix: "v1/owners/u1/takes/").filter { !$0.name.hasSuffix("/key") } + s3.list(prefix: "v1/owners/u1/chunks/")
        #expect(heldObjects.count >= 4, "u1's manifests and chunks")
        for object in heldObjects {
            #expect(try await s3.head(object.name)?.tags.held == true, "\(object.name)")
        }
        // A multipart upload a crashed process left open: the sweep aborts it once past the grace
        // period. Crash leftovers age by the clock, not by --as-of (a sweep "as of" a later day must
        // not abort a running ingest's upload), so the grace period is set to nothing here.
        _ = try await s3.createUpload("v1/owners/u2/chunks/crashed", tags: ObjectTags(owner: "u2", tier: .pro, kind: .chunk, retainUntil: nil))
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(8 * 86_400))
        #expect(takevault("sweep", "--vault", vault, "--as-of", future).status == 0)
        #expect(try await s3.pendingUploads().count == 1, "an upload started a moment ago is not a crash's leftover")
        let configPath = vault + "/config.json"
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        var pipeline = try #require(config["pipeline"] as? [String: Any])
        var retention = try #require(pipeline["retention"] as? [String: Any])
        retention["orphan_grace_hours"] = 0
        pipeline["retention"] = retention
        config["pipeline"] = pipeline
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        #expect(takevault("sweep", "--vault", vault, "--as-of", future).status == 0)
        #expect(try await s3.pendingUploads().isEmpty)
        #expect(takevault("inspect", "--vault", vault, freeTake).status == 0)
        #expect(takevault("owner", "hold", "u1", "--vault", vault, "--lift", "--by", "ops").status == 0)
        #expect(try await s3.head(try #require(try await s3.list(prefix: "v1/owners/u1/takes/").first).name)?.tags.held == false)
        let sweep = takevault("sweep", "--vault", vault, "--as-of", future, "--json")
        #expect(sweep.status == 0, "\(sweep.standardError)")
        #expect(try await s3.list(prefix: "v1/owners/u1/takes/").isEmpty)
        #expect(try await s3.list(prefix: "v1/owners/u1/chunks/").isEmpty)
        #expect(takevault("inspect", "--vault", vault, proTake).status == 0)

        // A tier change renews u2's objects: new tags, and S3's age for lifecycle restarts.
        let chunk = try #require(try await s3.list(prefix: "v1/owners/u2/chunks/").first)
        let written = try #require(chunk.lastModified)
        // S3 times are whole seconds: let the clock leave the chunk's second, so a renewal shows.
        try await waitUntilWallClock(isPast: written)
        let changedAt = Int64(Date().timeIntervalSince1970)
        #expect(takevault("owner", "tier", "u2", "studio", "--vault", vault).status == 0)
        let renewed = try #require(try await s3.head(chunk.name))
        #expect(renewed.tags.tier == .studio && renewed.tags.retainUntil == nil)
        #expect((renewed.lastModified ?? 0) >= changedAt && changedAt > written, "renewed: \(renewed.lastModified ?? 0), written \(written)")

        // Erasure: keys first, then every object; the bucket keeps nothing of u2.
        #expect(takevault("owner", "erase", "u2", "--vault", vault).status == 0)
        #expect(try await s3.list(prefix: "v1/owners/u2/").isEmpty)
        #expect(takevault("verify", "--vault", vault).status == 0)
    }

    @Test("a wrong secret fails the command with a clear error and exit 1, nothing written")
    func wrongSecret() async throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        let prefix = S3TestServer.freshPrefix("denied")
        #expect(takevault("init", "--vault", vault, "--store", "s3://\(server.bucket)/\(prefix)").status == 0)
        let environment = server.environment(extra: ["AWS_SECRET_ACCESS_KEY": "wrong"]).map { "\($0.key)=\($0.value)" }
        let result = run("/usr/bin/env", environment + [CLI.binary, "ingest", "--vault", vault, "--owner", "u1", "--tier", "free", "--json",
                                                         CLI.samples + "/voice-take-48k16-mono.wav"])
        #expect(result.status == 1)
        #expect(try CLI.decode(CLI.Failure.self, result).error.code == "store_access_denied")
        #expect(!result.standardOutput.contains("wrong") && !result.standardError.contains("wrong"))
        #expect(try await store(prefix: prefix).list(prefix: "").isEmpty)
    }
}
