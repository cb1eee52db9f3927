import TakeCatalog
@testable import TakeCatalogPostgres
import Testing
import TestSupport

/// The PostgreSQL catalog's schema: made from nothing by the first node, once however many start
/// together, and brought forward from the schema before the latest with every row kept.
@Suite("PostgreSQL catalog: migrations", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required))
struct PostgresMigrationTests {
    @Test("nodes opening an empty database at once migrate it once; every version is recorded")
    func concurrentFirstOpen() async throws {
        let location = try PostgresTestServer.freshCatalog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresCatalog.open(location).ping() } }
            try await group.waitForAll()
        }
        let server = try #require(PostgresTestServer.current)
        let versions = server.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM takevault_schema", database: location.database)
        #expect(versions.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                == PostgresSchema.migrations.map { String($0.version) }.joined(separator: ","), "\(versions.standardError)")
    }

    @Test("a database at the schema before the latest opens: rows kept, leases empty, the queue claims on")
    func fromPreviousSchema() async throws {
        let location = try PostgresTestServer.freshCatalog()
        let previous = PostgresSchema.latestVersion - 1
        try await PostgresCatalog(location, options: .init(), schemaVersion: previous).ping()
        let server = try #require(PostgresTestServer.current)
        let seeded = server.psql("""
            INSERT INTO owners (id, tier, created_at, restricted) VALUES ('alice', 'pro', '2026-01-01T00:00:00Z', true);
            INSERT INTO takes (id, owner_id, session_id, tier, original_name, upload_sha256, upload_bytes, recorded_at, ingested_at,
                               retain_until, generation, manifest_name, duration_s, integrated_lufs, stored_bytes, sealed_bytes)
            VALUES ('t1', 'alice', 's1', 'pro', 'a.wav', '00', 10, NULL, '2026-01-02T00:00:00Z', '2026-02-01T00:00:00Z', 1, 'm', 1.5, -23, 9, 12);
            INSERT INTO take_objects (take_id, object_name, kind, size) VALUES ('t1', 'm', 'manifest', 7), ('t1', 'c', 'chunk', 5);
            INSERT INTO jobs (id, kind, state, owner_id, take_id, created_at, updated_at, detail)
            VALUES ('j1', 'relay-upload', 'queued', 'alice', NULL, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', '{}');
            """, database: location.database)
        #expect(seeded.status == 0, "\(seeded.standardError)")

        let catalog = try await PostgresCatalog.open(location)
        let owner = try #require(try await catalog.owner("alice"))
        #expect(owner.restricted && owner.policyVersion == 0)
        #expect(try await catalog.take("t1")?.sessionID == "s1")
        #expect(try await catalog.expiredTakes(at: "2026-03-01T00:00:00Z").map(\.bytes) == [12])
        let job = try #require(try await catalog.job("j1"))
        #expect(job.leaseNode == nil && job.leaseExpiresAt == nil)
        let claimed = try #require(try await catalog.claimJob(kind: "relay-upload", node: "n1", at: "2026-01-03T00:00:00Z", leaseUntil: "2026-01-03T00:01:00Z"))
        #expect(claimed.id == "j1" && claimed.attempts == 1 && claimed.leaseNode == "n1")
    }
}
