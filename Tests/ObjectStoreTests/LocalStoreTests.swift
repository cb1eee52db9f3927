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
}
