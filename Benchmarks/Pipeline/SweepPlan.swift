import GRDB
import TakeCatalog
import TakePipeline

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sweep planning over a catalog of a million synthetic takes (1,000 owners, two objects each,
/// retention ends spread over a year; a tenth of the owners restricted, a few holds).
enum SweepPlanBenchmark {
    enum SweepPlanError: Error { case notSQLite }

    static func run(vaultDirectory: String, takes: Int) async throws -> (seconds: Double, due: Int) {
        let vault = try Vault.initialize(at: vaultDirectory, environment: [:])
        let start = Timestamp.date("2027-01-01T00:00:00Z")!
        // Filled through SQL in one transaction: a million takes through the catalog's calls would
        // take longer than the planning measured.
        guard let catalog = vault.catalog as? SQLiteCatalog else { throw SweepPlanError.notSQLite }
        try await catalog.bulkWrite { db in
            for owner in 0..<1_000 {
                try db.execute(sql: "INSERT INTO owners (id, tier, created_at, restricted) VALUES (?, 'free', '2026-01-01T00:00:00Z', ?)",
                               arguments: ["owner-\(owner)", owner % 10 == 0])
            }
            let takeStatement = try db.makeStatement(sql: """
                INSERT INTO takes (id, owner_id, tier, original_name, upload_sha256, upload_bytes, ingested_at, retain_until, generation,
                                   manifest_name, duration_s, stored_bytes, sealed_bytes)
                VALUES (?, ?, 'free', 'take.wav', '00', 1000, ?, ?, 1, ?, 60, 2000, 2000)
                """)
            let objectStatement = try db.makeStatement(sql: "INSERT INTO take_objects (take_id, object_name, kind, size) VALUES (?, ?, ?, ?)")
            for index in 0..<takes {
                let id = String(format: "%032x", index)
                let owner = "owner-\(index % 1_000)"
                let ingested = Timestamp.string(start.addingTimeInterval(Double(index % 365) * 86_400 - 7 * 86_400))
                let end = Timestamp.string(start.addingTimeInterval(Double(index % 365) * 86_400))
                try takeStatement.execute(arguments: [id, owner, ingested, end, "v1/owners/\(owner)/takes/\(id)/manifest-000001"])
                try objectStatement.execute(arguments: [id, "v1/owners/\(owner)/takes/\(id)/manifest-000001", "manifest", 600])
                try objectStatement.execute(arguments: [id, "v1/owners/\(owner)/chunks/\(id)\(id)", "chunk", 1_400])
            }
        }
        // Holds straight into the synthetic catalog: these owners have no keys in the store, so the
        // owner commands (which store a policy object first) do not apply to them.
        for owner in [1, 2, 3] {
            try await vault.catalog.insertHold(HoldRecord(id: "h_bench\(owner)", ownerID: "owner-\(owner)", takeID: nil, reason: "benchmark",
                                                          setBy: "bench", setAt: "2026-06-01T00:00:00Z"))
        }
        let clockStart = Measure.wall()
        let plan = try await Sweep(vault: vault).dueTakes(asOf: start.addingTimeInterval(182 * 86_400))
        return (Measure.wall() - clockStart, plan.delete.count + plan.keep.count)
    }
}
