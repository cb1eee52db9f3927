import Crypto
@testable import ObjectStore
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// ``S3Store`` against a real SeaweedFS (started by scripts/test.sh): the same conformance suite as
/// the local store, then what only S3 shows — signatures checked, multipart, paging, batches.
@Suite("S3 store (SeaweedFS)", .enabled(if: S3TestServer.current != nil, "no S3 test server (scripts/test.sh starts one)"))
struct S3StoreTests {
    static func store(_ label: String, secret: String? = nil, partSize: Int = S3Configuration.minimumPartSize,
                      configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3Store {
        let server = try #require(S3TestServer.current)
        var configuration = try S3Configuration.from(
            url: "s3://\(server.bucket)/\(S3TestServer.freshPrefix(label))", region: "eu-west-1",
            environment: ["TAKEVAULT_S3_ENDPOINT": server.endpoint, "AWS_ACCESS_KEY_ID": server.accessKey,
                          "AWS_SECRET_ACCESS_KEY": secret ?? server.secretKey])
        configuration.partSize = partSize
        configuration.retry = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.5)
        configure(&configuration)
        return S3Store(configuration: configuration)
    }

    @Test("conformance", arguments: StoreConformance.all.map(\.0))
    func conformance(check: String) async throws {
        try await StoreConformance.all.first { $0.0 == check }!.1(try Self.store("conformance"))
    }

    @Test("a wrong secret is refused, typed, with nothing written")
    func wrongSecret() async throws {
        let good = try Self.store("secret")
        let bad = S3Store(configuration: {
            var configuration = good.configuration
            configuration.credentials.secretAccessKey = "not-the-secret"
            return configuration
        }())
        do {
            try await bad.put("x/y", data: [1, 2, 3], tags: StoreConformance.tags, createOnly: true)
            Issue.record("a put signed with the wrong secret was accepted")
        } catch let error as StoreError {
            guard case .denied = error else { Issue.record("expected .denied, got \(error)"); return }
            #expect(error.code == "store_access_denied")
            #expect(!error.message.contains("not-the-secret"))
        }
        #expect(try await good.head("x/y") == nil)
        await #expect(throws: StoreError.self) { _ = try await bad.list(prefix: "") }
    }

    @Test("a create-only put on an existing key fails with a typed error and leaves the object alone")
    func createOnlyRetryResolution() async throws {
        let store = try Self.store("create-only")
        // The object already holds exactly these bytes, as if an earlier attempt had landed.
        let data = StoreConformance.bytes(4_096, seed: 9)
        try await store.put("m/manifest-000001", data: data, tags: StoreConformance.tags, createOnly: true)
        await #expect(throws: StoreError.alreadyExists("m/manifest-000001")) {
            try await store.put("m/manifest-000001", data: data, tags: StoreConformance.tags, createOnly: true)
        }
        #expect(try await store.get("m/manifest-000001") == data)
    }

    @Test("create-only puts whose answers are lost after S3 acted still succeed once each, never as a conflict")
    func lostAnswers() async throws {
        let directory = TestDirectory()
        let server = try #require(S3TestServer.current)
        let (proxy, endpoint) = try #require(server.startFaultProxy(in: directory, ["--lost-answer", "0.5", "--seed", "11"]))
        defer { killProcess(proxy) }
        let direct = try Self.store("lost-answers")
        var configuration = direct.configuration
        let parts = try S3Configuration.from(url: "s3://\(server.bucket)", region: "eu-west-1",
                                             environment: server.environment(extra: ["TAKEVAULT_S3_ENDPOINT": endpoint]))
        configuration.port = parts.port
        configuration.retry = RetryPolicy(maxAttempts: 12, baseDelay: 0.01, maxDelay: 0.05)
        let flaky = S3Store(configuration: configuration)
        for index in 0..<20 {
            let data = StoreConformance.bytes(2_000, seed: UInt64(100 + index))
            try await flaky.put("m/manifest-\(index)", data: data, tags: StoreConformance.tags, createOnly: true)
            #expect(try await direct.get("m/manifest-\(index)") == data)
        }
        // A genuine conflict is still one, however many answers are lost on the way.
        await #expect(throws: StoreError.alreadyExists("m/manifest-0")) {
            try await flaky.put("m/manifest-0", data: [1, 2, 3], tags: StoreConformance.tags, createOnly: true)
        }
    }

    @Test("a 200 MiB file goes up in parts and comes back identical, with memory bounded by the parts in flight")
    func multipartFlatMemory() async throws {
        let directory = TestDirectory()
        let source = directory.file("big.bin")
        let size = 200 * 1_024 * 1_024 + 12_345
        let expected = writePattern(source, size: size)
        let store = try Self.store("multipart", partSize: 8 * 1_024 * 1_024)
        store.buffered.resetPeak()
        try await store.upload("big/take.flac", fromFile: source, tags: StoreConformance.tags, createOnly: true)
        let bound = 4 * 8 * 1_024 * 1_024
        #expect(store.buffered.peak <= bound, "held \(store.buffered.peak) bytes at once; bound \(bound)")
        #expect(store.buffered.current == 0)
        #expect(try await store.head("big/take.flac")?.size == Int64(size))
        #expect(try await store.head("big/take.flac")?.tags == StoreConformance.tags)
        let copy = directory.file("copy.bin")
        try await store.download("big/take.flac", to: copy)
        #expect(sha256(ofFile: copy) == expected)
        #expect(try await store.pendingUploads().isEmpty)
        // Create-only is refused before any part is sent.
        await #expect(throws: StoreError.alreadyExists("big/take.flac")) {
            try await store.upload("big/take.flac", fromFile: source, tags: StoreConformance.tags, createOnly: true)
        }
    }

    @Test("10,000 keys list in order across pages and go in batches of 1,000")
    func pagingAndBatchDelete() async throws {
        let store = try Self.store("paging") { $0.maxConcurrentRequests = 16 }
        let names = (0..<10_000).map { "v1/owners/o/chunks/\(String($0 * 7_919 % 10_000, radix: 16))-\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in stride(from: 0, to: names.count, by: 625) {
                group.addTask {
                    for name in names[batch..<batch + 625] { try await store.put(name, data: [1], tags: StoreConformance.tags, createOnly: false) }
                }
            }
            try await group.waitForAll()
        }
        let listed = try await store.list(prefix: "v1/owners/o/")
        #expect(listed.count == 10_000)
        #expect(listed.map(\.name) == names.sorted())
        #expect(listed.allSatisfy { $0.size == 1 && $0.lastModified != nil })
        try await store.delete(names + ["v1/owners/o/chunks/never-existed"])
        #expect(try await store.list(prefix: "v1/").isEmpty)
    }

    @Test("a failed multipart upload is aborted at once; one a crash left open is aborted when stale")
    func staleUploads() async throws {
        let store = try Self.store("stale")
        struct DiskGone: Error {}
        await #expect(throws: DiskGone.self) {
            try await store.putMultipart("fail/x", size: 20 * 1_024 * 1_024, tags: StoreConformance.tags, createOnly: false) { offset, count in
                if offset > 0 { throw DiskGone() }
                return [UInt8](repeating: 1, count: count)
            }
        }
        #expect(try await store.pendingUploads().isEmpty)
        #expect(try await store.head("fail/x") == nil)

        // As a killed process leaves it: started, never completed or aborted.
        let id = try await store.createUpload("crashed/x", tags: StoreConformance.tags)
        #expect(try await store.pendingUploads().map(\.uploadID) == [id])
        #expect(try await store.abortStaleUploads(startedBefore: Int64(time(nil)) - 3_600).isEmpty)
        #expect(try await store.abortStaleUploads(startedBefore: Int64(time(nil)) + 60).map(\.name) == ["crashed/x"])
        #expect(try await store.pendingUploads().isEmpty)
    }
}

/// Fails the run when the S3 tests were required (scripts/test.sh) but no server was given.
@Test("the S3 test server is there when the test script requires it")
func s3ServerPresentWhenRequired() {
    if S3TestServer.required { #expect(S3TestServer.current != nil, "TAKEVAULT_REQUIRE_S3=1 but no TAKEVAULT_TEST_S3_* environment") }
}

/// Fills `path` with `size` bytes of seeded noise; returns their SHA-256.
func writePattern(_ path: String, size: Int) -> [UInt8] {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    defer { close(descriptor) }
    var generator = SplitMix64(seed: 77)
    var hasher = SHA256()
    var remaining = size
    var block = [UInt8](repeating: 0, count: 1 << 20)
    while remaining > 0 {
        let count = min(block.count, remaining)
        block.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in 0..<words.count { words[index] = generator.next() }
        }
        hasher.update(data: block[..<count])
        _ = block.withUnsafeBytes { write(descriptor, $0.baseAddress!, count) }
        remaining -= count
    }
    return Array(hasher.finalize())
}

/// SHA-256 of a file, read in blocks.
func sha256(ofFile path: String) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    defer { close(descriptor) }
    var hasher = SHA256()
    var block = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        guard count > 0 else { break }
        hasher.update(data: block[..<count])
    }
    return Array(hasher.finalize())
}
