#if canImport(Glibc)
import Glibc
#endif
import GRDB
@testable import TakeCatalog
import Testing
import TestSupport

/// The SQLite catalog's own concerns: a catalog file written by an earlier release opens in this
/// one with every row kept and the new columns at their defaults; its files are the owner's only.
@Suite("SQLite catalog: migrations and files")
struct SQLiteMigrationTests {
    @Test("a new catalog file, its WAL and its shared memory are readable by their owner only")
    func ownerOnly() async throws {
        let directory = TestDirectory()
        let path = directory.file("catalog.sqlite")
        let catalog = try SQLiteCatalog(path: path)
        try await catalog.ensureOwner(OwnerRecord(id: "u1", tier: .pro, createdAt: "2026-11-01T00:00:00Z"))
        for file in [path, path + "-wal", path + "-shm"] {
            var status = stat()
            #expect(stat(file, &status) == 0, "\(file)")
            #expect(status.st_mode & 0o777 == 0o600, "\(file): \(String(status.st_mode & 0o777, radix: 8))")
        }
    }

    @Test("a catalog at the schema before the latest migration (and one at the first) opens: rows kept, new columns at their defaults")
    func fromEarlierSchemas() async throws {
        for previous in ["v1", "v6-policy-version"] {
            let directory = TestDirectory()
            let path = directory.file("catalog.sqlite")
            let old = try DatabaseQueue(path: path)
            try CatalogMigrations.migrator.migrate(old, upTo: previous)
            try await old.write { db in
                try db.execute(sql: "INSERT INTO owners (id, tier, created_at, restricted) VALUES ('alice', 'pro', '2026-01-01T00:00:00Z', 1)")
                try db.execute(sql: """
                    INSERT INTO takes (id, owner_id, session_id, tier, original_name, upload_sha256, upload_bytes, recorded_at, ingested_at,
                                       retain_until, generation, manifest_name, duration_s, integrated_lufs, stored_bytes)
                    VALUES ('t1', 'alice', 's1', 'pro', 'a.wav', '00', 10, NULL, '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z', 1, 'm', 1.5, -23, 9)
                    """)
                try db.execute(sql: "INSERT INTO take_objects (take_id, object_name, kind, size) VALUES ('t1', 'm', 'manifest', 7), ('t1', 'c', 'chunk', 5)")
                try db.execute(sql: """
                    INSERT INTO jobs (id, kind, state, owner_id, take_id, created_at, updated_at, detail)
                    VALUES ('j1', 'relay-upload', 'queued', 'alice', NULL, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', '{}')
                    """)
            }
            try old.close()

            let catalog = try SQLiteCatalog(path: path)
            let owner = try #require(try await catalog.owner("alice"), "from \(previous)")
            #expect(owner.restricted && owner.policyVersion == 0)
            let take = try #require(try await catalog.take("t1"))
            #expect(take.sessionID == "s1" && take.retainUntil == "2026-02-01T00:00:00Z")
            // Sealed bytes: computed from the take's objects by the migration that added them (from
            // v1); as the row holds them otherwise (this one was written without: 0).
            #expect(try await catalog.expiredTakes(at: "2026-03-01T00:00:00Z").map(\.bytes) == [previous == "v1" ? 12 : 0], "from \(previous)")
            let job = try #require(try await catalog.claimQueuedJob(kind: "relay-upload", at: "2026-01-03T00:00:00Z"))
            #expect(job.id == "j1" && job.attempts == 1 && job.notBefore == nil && job.leaseNode == "local")
            #expect(try await catalog.recordNonce(keyID: "r", nonce: "n", expiresAt: "2026-01-03T00:05:00Z", now: "2026-01-03T00:00:00Z"))
        }
    }
}
