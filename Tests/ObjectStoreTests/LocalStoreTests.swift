import ObjectStore
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The store conformance suite on ``LocalStore``, plus what only a local directory can show.
@Suite("Local store")
struct LocalStoreTests {
    @Test("conformance", arguments: StoreConformance.all.map(\.0))
    func conformance(check: String) async throws {
        let directory = TestDirectory()
        let store = try LocalStore(root: directory.file("store"))
        try await StoreConformance.all.first { $0.0 == check }!.1(store)
    }

    @Test("a FIFO or a folder in an object's place is refused at once, not waited on", .timeLimit(.minutes(5)))
    func notAFile() async throws {
        let directory = TestDirectory()
        let store = try LocalStore(root: directory.file("store"))
        try await store.put("v1/a", data: [1, 2, 3], tags: StoreConformance.tags, createOnly: true)
        unlink(directory.file("store/v1/a"))
        #expect(mkfifo(directory.file("store/v1/a"), 0o600) == 0)
        await #expect(throws: StoreError.self) { _ = try await store.get("v1/a") }
        await #expect(throws: StoreError.self) { _ = try await store.get("v1/a", range: 0..<2) }
        mkdir(directory.file("store/v1/b"), 0o755)
        await #expect(throws: StoreError.self) { _ = try await store.get("v1/b") }
        // A huge tags file (sparse, 20 GiB) is refused without being read.
        try await store.put("v1/c", data: [1], tags: StoreConformance.tags, createOnly: true)
        #expect(truncate(directory.file("store/.tags/v1/c"), 20 << 30) == 0)
        await #expect(throws: StoreError.self) { _ = try await store.head("v1/c") }
    }

    @Test("names cannot reach outside the root, and interrupted writes are never listed")
    func staysInside() async throws {
        let directory = TestDirectory()
        let store = try LocalStore(root: directory.file("store"))
        await #expect(throws: StoreError.self) { try await store.put("../escape", data: [1], tags: StoreConformance.tags, createOnly: true) }
        #expect(!directory.exists(directory.file("escape")))
        // A temporary file left by a crash mid-write, and tags without an object.
        _ = directory.write("store/.tmp-crashed", bytes: [1, 2, 3])
        try await store.put("v1/a", data: [1], tags: StoreConformance.tags, createOnly: true)
        mkdir(directory.file("store/v1"), 0o755)
        _ = directory.write("store/v1/.tmp-abc", bytes: [9])
        #expect(try await store.list(prefix: "").map(\.name) == ["v1/a"])
        #expect(try await store.list(prefix: "v1/").map(\.name) == ["v1/a"])
    }

    @Test("what interrupted writes leave are its pending uploads: listed with their age, removed only once older than the cutoff")
    func unfinishedWrites() async throws {
        let directory = TestDirectory()
        let store = try LocalStore(root: directory.file("store"))
        try await store.put("v1/kept", data: [1], tags: StoreConformance.tags, createOnly: true)
        try await store.put("v1/gone", data: [2], tags: StoreConformance.tags, createOnly: true)
        // A temporary file beside objects, one beside tags, and the tags of an object that never landed.
        _ = directory.write("store/v1/.tmp-old", bytes: [9])
        _ = directory.write("store/.tags/v1/.tmp-old", bytes: [9])
        #expect(rename(directory.file("store/v1/gone"), directory.file("store/v1/.tmp-moved")) == 0)
        _ = directory.write("store/v1/.tmp-fresh", bytes: [9])
        // Tags of an erased owner's object, alone in their folders.
        #expect(run("mkdir", ["-p", directory.file("store/.tags/v1/owners/gone/chunks")]).status == 0)
        _ = directory.write("store/.tags/v1/owners/gone/chunks/x", bytes: [9])
        let old = timeval(tv_sec: 1_000_000_000, tv_usec: 0)
        for file in ["store/v1/.tmp-old", "store/.tags/v1/.tmp-old", "store/v1/.tmp-moved", "store/.tags/v1/gone", "store/.tags/v1/owners/gone/chunks/x"] {
            #expect(utimes(directory.file(file), [old, old]) == 0)
        }
        let pending = try await store.pendingUploads()
        #expect(pending.map(\.name) == [".tags/v1/.tmp-old", ".tags/v1/gone", ".tags/v1/owners/gone/chunks/x", "v1/.tmp-fresh", "v1/.tmp-moved", "v1/.tmp-old"])
        #expect(pending.first { $0.name == "v1/.tmp-old" }?.initiated == 1_000_000_000)

        let removed = try await store.abortStaleUploads(startedBefore: 1_000_000_001)
        #expect(removed.map(\.name) == [".tags/v1/.tmp-old", ".tags/v1/gone", ".tags/v1/owners/gone/chunks/x", "v1/.tmp-moved", "v1/.tmp-old"])
        #expect(try await store.pendingUploads().map(\.name) == ["v1/.tmp-fresh"])
        #expect(try await store.list(prefix: "v1/").map(\.name) == ["v1/kept"])
        #expect(try await store.head("v1/kept")?.tags == StoreConformance.tags)
        #expect(!directory.exists(directory.file("store/.tags/v1/owners")), "no folder left empty, none naming an erased owner")
        #expect(directory.exists(directory.file("store/.tags/v1")), "a folder still in use stays")
    }

    @Test("an unfinished write that changed after it was listed is not removed: a put that resumed, or an object that landed")
    func abortRechecks() async throws {
        let directory = TestDirectory()
        let store = try LocalStore(root: directory.file("store"))
        try await store.put("v1/owners/u1/chunks/c", data: [1], tags: StoreConformance.tags, createOnly: true)
        #expect(rename(directory.file("store/v1/owners/u1/chunks/c"), directory.file("store/v1/owners/u1/chunks/.tmp-1")) == 0)
        _ = directory.write("store/v1/owners/u1/chunks/.tmp-2", bytes: [2])
        let old = timeval(tv_sec: 1_000_000_000, tv_usec: 0)
        for file in ["store/.tags/v1/owners/u1/chunks/c", "store/v1/owners/u1/chunks/.tmp-1", "store/v1/owners/u1/chunks/.tmp-2"] {
            #expect(utimes(directory.file(file), [old, old]) == 0)
        }
        let listed = try await store.pendingUploads()
        #expect(listed.map(\.name) == [".tags/v1/owners/u1/chunks/c", "v1/owners/u1/chunks/.tmp-1", "v1/owners/u1/chunks/.tmp-2"])
        // Between the listing and the abort: the chunk is written again (its tags and object), and
        // another temporary file is touched by a write still going on.
        try await store.put("v1/owners/u1/chunks/c", data: [1], tags: StoreConformance.tags, createOnly: true)
        #expect(utimes(directory.file("store/v1/owners/u1/chunks/.tmp-2"), nil) == 0)
        try await store.abort(listed)
        #expect(try await store.head("v1/owners/u1/chunks/c")?.tags == StoreConformance.tags, "the landed object keeps its tags")
        #expect(directory.exists(directory.file("store/v1/owners/u1/chunks/.tmp-2")))
        #expect(!directory.exists(directory.file("store/v1/owners/u1/chunks/.tmp-1")))
    }
}
