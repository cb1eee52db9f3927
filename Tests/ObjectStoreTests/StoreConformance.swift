import ObjectStore
import Testing
import TestSupport

/// The behaviour every ``ObjectStore`` must have. Each check takes a fresh, empty store; the
/// local store runs them here, and the S3 store runs the same checks against a real S3 server.
enum StoreConformance {
    static let tags = ObjectTags(owner: "alice", tier: .free, kind: .chunk, retainUntil: "2026-12-06T00:00:00Z")

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    static func roundTrip(_ store: any ObjectStore) async throws {
        let data = bytes(10_000, seed: 1)
        try await store.put("v1/owners/alice/chunks/a", data: data, tags: tags, createOnly: true)
        #expect(try await store.get("v1/owners/alice/chunks/a") == data)
        let info = try #require(try await store.head("v1/owners/alice/chunks/a"))
        #expect(info.size == 10_000)
        #expect(info.tags == tags)
        let empty: [UInt8] = []
        try await store.put("v1/empty", data: empty, tags: tags, createOnly: false)
        #expect(try await store.get("v1/empty") == empty)
    }

    static func createOnly(_ store: any ObjectStore) async throws {
        try await store.put("m/manifest-000001", data: [1, 2, 3], tags: tags, createOnly: true)
        await #expect(throws: StoreError.alreadyExists("m/manifest-000001")) {
            try await store.put("m/manifest-000001", data: [9, 9], tags: tags, createOnly: true)
        }
        #expect(try await store.get("m/manifest-000001") == [1, 2, 3])
        try await store.put("m/manifest-000001", data: [4, 5], tags: tags, createOnly: false)
        #expect(try await store.get("m/manifest-000001") == [4, 5])
    }

    static func concurrentCreateOnlyHasOneWinner(_ store: any ObjectStore) async throws {
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    do {
                        try await store.put("race/commit", data: bytes(1_000, seed: UInt64(writer)), tags: tags, createOnly: true)
                        return true
                    } catch StoreError.alreadyExists {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        let stored = try await store.get("race/commit")
        #expect((0..<8).contains { stored == bytes(1_000, seed: UInt64($0)) })
    }

    static func missingObjects(_ store: any ObjectStore) async throws {
        await #expect(throws: StoreError.notFound("nothing/here")) { _ = try await store.get("nothing/here") }
        #expect(try await store.head("nothing/here") == nil)
        try await store.delete("nothing/here")
        await #expect(throws: StoreError.notFound("nothing/here")) { try await store.setTags("nothing/here", tags: tags) }
    }

    static func ranges(_ store: any ObjectStore) async throws {
        let data = bytes(1_000, seed: 3)
        try await store.put("r/obj", data: data, tags: tags, createOnly: true)
        #expect(try await store.get("r/obj", range: 100..<200) == Array(data[100..<200]))
        #expect(try await store.get("r/obj", range: 900..<5_000) == Array(data[900...]))
        #expect(try await store.get("r/obj", range: 0..<1) == [data[0]])
    }

    static func listing(_ store: any ObjectStore) async throws {
        for name in ["l/a/2", "l/a/1", "l/b/1", "l/ab", "other/1"] {
            try await store.put(name, data: [1], tags: tags, createOnly: true)
        }
        #expect(try await store.list(prefix: "l/a/").map(\.name) == ["l/a/1", "l/a/2"])
        #expect(try await store.list(prefix: "l/a").map(\.name) == ["l/a/1", "l/a/2", "l/ab"])
        #expect(try await store.list(prefix: "l/").count == 4)
        #expect(try await store.list(prefix: "missing/").isEmpty)
        #expect(try await store.list(prefix: "l/b/").first == ListedObject(name: "l/b/1", size: 1, lastModified: try await store.head("l/b/1")?.lastModified))
    }

    static func deleteAndRetag(_ store: any ObjectStore) async throws {
        try await store.put("d/x", data: [1, 2], tags: tags, createOnly: true)
        var retagged = tags
        retagged.tier = .pro
        retagged.retainUntil = nil
        try await store.setTags("d/x", tags: retagged)
        #expect(try await store.head("d/x")?.tags == retagged)
        try await store.delete("d/x")
        #expect(try await store.head("d/x") == nil)
        #expect(try await store.list(prefix: "d/").isEmpty)
        // The name is free again for a create-only put.
        try await store.put("d/x", data: [3], tags: tags, createOnly: true)
    }

    static func renewal(_ store: any ObjectStore) async throws {
        let data = bytes(3_000, seed: 5)
        try await store.put("n/x", data: data, tags: tags, createOnly: true)
        let before = try #require(try await store.head("n/x"))
        // Store times are whole seconds: a renewal shows once the clock has left this one.
        try await waitUntilWallClock(isPast: try #require(before.lastModified))
        var renewed = tags
        renewed.tier = .pro
        renewed.held = true
        try await store.renew("n/x", tags: renewed)
        let after = try #require(try await store.head("n/x"))
        #expect(after.tags == renewed)
        #expect((after.lastModified ?? 0) > (before.lastModified ?? 0))
        #expect(try await store.get("n/x") == data)
        await #expect(throws: StoreError.notFound("n/missing")) { try await store.renew("n/missing", tags: tags) }
    }

    static let invalidNames = ["", "/abs", "a//b", "../x", "a/../b", "a/./b", ".hidden", "a/.tmp-1", "sp ace", "nul\u{0}", "ü", String(repeating: "a", count: 1_025)]

    static func invalidNamesRejected(_ store: any ObjectStore) async throws {
        for name in invalidNames {
            await #expect(throws: StoreError.invalidName(name)) { try await store.put(name, data: [1], tags: tags, createOnly: true) }
            await #expect(throws: StoreError.invalidName(name)) { _ = try await store.get(name) }
        }
    }

    static func largeObject(_ store: any ObjectStore) async throws {
        let data = bytes(9 * 1_024 * 1_024 + 17, seed: 4)
        try await store.put("big/object", data: data, tags: tags, createOnly: true)
        #expect(try await store.get("big/object") == data)
        #expect(try await store.head("big/object")?.size == Int64(data.count))
    }

    /// Every check, each on its own fresh store.
    static let all: [(String, @Sendable (any ObjectStore) async throws -> Void)] = [
        ("round trip", roundTrip), ("create-only", createOnly), ("concurrent create-only", concurrentCreateOnlyHasOneWinner),
        ("missing objects", missingObjects), ("ranges", ranges), ("listing", listing), ("delete and retag", deleteAndRetag),
        ("invalid names", invalidNamesRejected), ("large object", largeObject), ("renewal", renewal),
    ]
}
