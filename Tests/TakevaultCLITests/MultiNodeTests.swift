import AudioTestSupport
import Foundation
@testable import ObjectStore
import RelayAPI
import RelayTestSupport
import TakeArchive
import TakePipeline
import Testing
import TestSupport

/// Three `serve` nodes on one PostgreSQL catalog and one SeaweedFS bucket, fed by `push` with all
/// three URLs (spreading the uploads and failing over), one node killed mid-run and brought back,
/// an erasure, a tier change and a sweep from another node meanwhile, a third of the uploads
/// retried to a node other than the one that acknowledged them. At the end every acknowledged take
/// is archived exactly once and reads back the same through any node.
@Suite("Several nodes, one vault (PostgreSQL and SeaweedFS)",
       .enabled(if: (PostgresTestServer.current != nil || PostgresTestServer.required) && (S3TestServer.current != nil || S3TestServer.required),
                "no PostgreSQL or S3 test server (scripts/test.sh starts both)"))
struct MultiNodeTests {
    static let owners = ["o1", "o2", "o3", "o4", "o5"]
    static let takesPerOwner = 60
    static let erased = "o5"

    struct Pushed: Decodable {
        var file: String
        var jobId: String?
        var relay: String?
        var duplicate: Bool?
        enum CodingKeys: String, CodingKey { case file, jobId = "job_id", relay, duplicate }
    }

    @Test("300 takes through three nodes, one killed and back, erasure, tier change and sweep meanwhile: each acknowledged take archived once",
          .timeLimit(.minutes(15)))
    func threeNodes() async throws {
        let directory = TestDirectory()
        let postgres = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
        let s3 = try #require(S3TestServer.current, "TAKEVAULT_REQUIRE_S3=1 but no S3 test server")
        let catalog = try #require(postgres.freshDatabase("nodes"))
        let database = String(try #require(catalog.split(separator: "/").last))
        let prefix = S3TestServer.freshPrefix("nodes")
        let key = directory.write("master.key", bytes: MasterKey.generate().fileContents())
        chmod(key, 0o600)
        let environment = s3.environment(extra: ["TAKEVAULT_CATALOG_PASSWORD": postgres.password, "TAKEVAULT_MASTER_KEY_FILE": key])
        let nodes = try (1...3).map { index in
            try RelayTestServer(["--workers", "1", "--node", "n\(index)", "--lease-seconds", "10"], directory: directory, environment: environment,
                                vaultName: "node-\(index)", initArguments: ["--store", "s3://\(s3.bucket)/\(prefix)", "--catalog", catalog])
        }
        defer { for node in nodes where node.pid != 0 { _ = node.stop(seconds: 30) } }
        // Every wait on a process runs off the concurrency pool (``offPool``): this test waits long.
        func cli(_ arguments: [String]) async -> ProcessResult {
            let command = environment.map { "\($0.key)=\($0.value)" } + [CLI.binary] + arguments
            return await offPool { run("/usr/bin/env", command) }
        }

        // 60 short takes per owner, each its own signal.
        var files: [String: [String]] = [:]
        for (ownerIndex, owner) in Self.owners.enumerated() {
            files[owner] = (0..<Self.takesPerOwner).map { index in
                RelayFixtures.take(directory, "\(owner)-\(index).wav", seconds: 0.5, seed: UInt64(ownerIndex * 1_000 + index + 1)).path
            }
        }

        // One push per owner, all at once, each given the three nodes in its own order.
        let urls = nodes.map(\.url)
        var pushes: [(owner: String, pid: pid_t, output: String, log: String)] = []
        for (index, owner) in Self.owners.enumerated() {
            let order = (0..<3).map { urls[($0 + index) % 3] }
            let output = directory.file("push-\(owner).json"), log = directory.file("push-\(owner).log")
            let command = ([CLI.binary, "push"] + files[owner]! + order.flatMap { ["--relay", $0] }
                + ["--owner", owner, "--tier", index % 2 == 0 ? "pro" : "free", "--key-id", RelayTestServer.relayA.keyID,
                   "--secret-file", directory.file("relay-a.secret"), "--json", "--patience", "300"]).map(Self.quoted).joined(separator: " ")
            pushes.append((owner, startProcess("/bin/bash", ["-c", "exec \(command) > \(Self.quoted(output)) 2> \(Self.quoted(log))"]), output, log))
        }

        // A node dies mid-run, whatever it was doing.
        func jobRows() async -> Int {
            await offPool { Int(postgres.psql("SELECT count(*) FROM jobs", database: database).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }
        }
        let started = ContinuousClock.now
        while await jobRows() < 60 && ContinuousClock.now - started < .seconds(240) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(await jobRows() >= 60, "uploads are being acknowledged")
        await offPool { nodes[1].crash() }

        // Meanwhile, from another node: the erased owner's uploads end first (so none is in flight).
        let erasedPush = try #require(pushes.first { $0.owner == Self.erased })
        let erasedPushStatus = await offPool { waitForExit(erasedPush.pid) }
        #expect(erasedPushStatus == 0, "\(String(decoding: readBytes(erasedPush.log), as: UTF8.self))")
        let erasure = await cli(["owner", "erase", Self.erased, "--vault", nodes[2].vault])
        #expect(erasure.status == 0, "\(erasure.standardError)")
        let tier = await cli(["owner", "tier", "o1", "studio", "--vault", nodes[2].vault])
        #expect(tier.status == 0, "\(tier.standardError)")
        let swept = await cli(["sweep", "--vault", nodes[2].vault])
        #expect(swept.status == 0, "\(swept.standardError)")
        try await offPool { Result { try nodes[1].start() } }.get()

        // Every push ends; what each acknowledged.
        var acknowledged: [String: Pushed] = [:]    // by file
        for push in pushes {
            let status = push.owner == Self.erased ? 0 : await offPool { waitForExit(push.pid) }
            #expect(status == 0, "push for \(push.owner): \(String(decoding: readBytes(push.log), as: UTF8.self).suffix(2_000))")
            let documents = try JSONDecoder().decode([Pushed].self, from: Data(readBytes(push.output)))
            #expect(documents.count == Self.takesPerOwner)
            for document in documents where document.jobId != nil { acknowledged[document.file] = document }
        }
        #expect(acknowledged.count == Self.owners.count * Self.takesPerOwner, "every upload acknowledged, failing over past the dead node")
        #expect(Set(acknowledged.values.compactMap(\.relay)).count == 3, "uploads spread over the three nodes")

        // A third of them sent again, with the same key, to a node that did not acknowledge them: the same job.
        let kept = acknowledged.values.filter { !$0.file.contains("/\(Self.erased)-") }.sorted { $0.file < $1.file }
        for (index, document) in kept.enumerated() where index % 3 == 0 {
            let other = try #require(nodes.map(\.url).first { $0 != document.relay }, "a live node other than the one that acknowledged it")
            let owner = String(document.file.split(separator: "/").last!.split(separator: "-").first!)
            let client = RelayClient(baseURL: other, credentials: RelayTestServer.relayA)
            let again = try await client.upload(file: document.file, metadata: UploadMetadata(owner: owner, tier: .pro),
                                                idempotencyKey: RelayClient.idempotencyKey(owner: owner, contentHash: try RelayClient.sha256(file: document.file)),
                                                patience: .seconds(60))
            #expect(again.jobID == document.jobId && again.duplicate, "\(document.file)")
        }

        // Every acknowledged take of the owners kept is archived, once.
        var finished: [String: JobDocument] = [:]
        let deadline = ContinuousClock.now + .seconds(480)
        while finished.count < kept.count && ContinuousClock.now < deadline {
            for document in kept where finished[document.jobId!] == nil {
                if let job = try? await nodes[0].client.job(document.jobId!), job.isFinal { finished[document.jobId!] = job }
            }
            if finished.count < kept.count { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(finished.count == kept.count, "\(kept.count - finished.count) jobs not finished")
        #expect(finished.values.allSatisfy { $0.state == .done }, "\(finished.values.filter { $0.state != .done }.map { "\($0.jobID): \($0.state) \($0.error?.code ?? "")" })")
        let takes = Set(finished.values.compactMap(\.takeID))
        #expect(takes.count == kept.count, "one take per acknowledged upload")
        let listing = try CLI.decode([TakeSummary].self, await cli(["ls", "--vault", nodes[0].vault, "--json"]))
        #expect(listing.count == takes.count && Set(listing.map(\.takeId)) == takes, "the catalog holds exactly those takes, once each")
        #expect(!listing.contains { $0.owner == Self.erased })
        // The tier change ran while o1's uploads (naming tier pro: docs/OPERATIONS.md, the tier rule)
        // went on: whichever came last, o1's takes are under one tier, never two.
        #expect(Set(listing.filter { $0.owner == "o1" }.map(\.tier)).count == 1, "\(listing.filter { $0.owner == "o1" }.map(\.tier))")

        // Read back through a node other than the one that took the upload: the preview as `restore`
        // gives it, and the master bit-exact.
        for document in kept.prefix(6) {
            let take = try #require(finished[document.jobId!]?.takeID)
            let other = try #require(nodes.first { $0.url != document.relay })
            let fetched = directory.file("\(take)-fetched.opus"), restored = directory.file("\(take)-restored.opus")
            #expect(await offPool { other.fetch(take, "--artefact", "preview", "-o", fetched) }.status == 0)
            #expect(await cli(["restore", "--vault", nodes[0].vault, take, "--artefact", "preview", "-o", restored]).status == 0)
            #expect(readBytes(fetched) == readBytes(restored) && !readBytes(fetched).isEmpty)
            let master = directory.file("\(take).flac")
            #expect(await cli(["restore", "--vault", other.vault, take, "--artefact", "master", "-o", master]).status == 0)
            let name = String(document.file.split(separator: "/").last!.dropLast(4))
            let parts = name.split(separator: "-")
            let seed = UInt64(Self.owners.firstIndex(of: String(parts[0]))! * 1_000 + Int(parts[1])! + 1)
            #expect(try flacSamples(master) == toneChannels(2, frames: 24_000, bits: 24, seed: seed), "\(name) restores bit-exact")
        }
        let verified = await cli(["verify", "--vault", nodes[1].vault, "--read-data"])
        #expect(verified.status == 0, "\(verified.standardOutput.suffix(2_000)) \(verified.standardError.suffix(2_000))")

        // Nothing of the erased owner; no staged upload once the grace period is over (zero here).
        let bucket = S3Store(configuration: try S3Configuration.from(url: "s3://\(s3.bucket)/\(prefix)", region: "eu-west-1", environment: s3.environment()))
        #expect(try await bucket.list(prefix: ObjectNames.ownerPrefix(Self.erased)).isEmpty)
        #expect(try await bucket.list(prefix: StagingNames.ownerPrefix(Self.erased)).isEmpty)
        let config = nodes[2].vault + "/config.json"
        var settings = try #require(try JSONSerialization.jsonObject(with: Data(readBytes(config))) as? [String: Any])
        var pipeline = settings["pipeline"] as? [String: Any] ?? [:]
        var retention = pipeline["retention"] as? [String: Any] ?? [:]
        retention["orphan_grace_hours"] = 0
        pipeline["retention"] = retention
        settings["pipeline"] = pipeline
        try JSONSerialization.data(withJSONObject: settings).write(to: URL(fileURLWithPath: config))
        #expect(await cli(["sweep", "--vault", nodes[2].vault]).status == 0)
        let staged = try await bucket.list(prefix: StagingNames.root)
        #expect(staged.isEmpty, "\(staged.map(\.name).prefix(10))")
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
