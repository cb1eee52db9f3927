import GRDB
import TakevaultCore

extension SQLiteCatalog {
    public func snapshot() async throws -> CatalogSnapshot {
        try await read { db in
            var snapshot = CatalogSnapshot()
            snapshot.owners = try OwnerRecord.order(OwnerRecord.Columns.id).fetchAll(db)
            snapshot.ownerKeys = try OwnerKeyRecord.order(OwnerKeyRecord.Columns.ownerID, OwnerKeyRecord.Columns.version).fetchAll(db)
            snapshot.takes = try TakeRecord.order(TakeRecord.Columns.id).fetchAll(db)
            snapshot.objects = try TakeObjectRecord.fetchAll(db, sql: "SELECT * FROM take_objects ORDER BY take_id, object_name")
            snapshot.events = try EventRecord.order(EventRecord.Columns.id).fetchAll(db)
            snapshot.jobs = try JobRecord.order(JobRecord.Columns.id).fetchAll(db)
            snapshot.nonces = try Row.fetchAll(db, sql: "SELECT key_id, nonce, expires_at FROM relay_nonces ORDER BY key_id, nonce").map {
                RelayNonce(keyID: $0[0], nonce: $0[1], expiresAt: $0[2])
            }
            snapshot.holds = try HoldRecord.order(HoldRecord.Columns.id).fetchAll(db)
            snapshot.tombstones = try TombstoneRecord.order(TombstoneRecord.Columns.at, Column("id")).fetchAll(db)
            snapshot.tierChanges = try TierChangeRecord.order(TierChangeRecord.Columns.id).fetchAll(db)
            snapshot.masterKeys = try MasterKeyRecord.order(Column("key_id")).fetchAll(db)
            return snapshot
        }
    }

    public func load(_ snapshot: CatalogSnapshot) async throws {
        try await write { db in
            var rows = 0
            for table in ["owners", "owner_keys", "takes", "take_objects", "events", "jobs", "relay_nonces", "holds", "tombstones", "tier_history", "master_keys"] {
                rows += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            guard rows == 0 else { throw CatalogSnapshotError.targetNotEmpty(rows: rows) }
            for owner in snapshot.owners { try owner.insert(db) }
            for key in snapshot.ownerKeys { try key.insert(db) }
            for take in snapshot.takes { try take.insert(db) }
            for object in snapshot.objects { try object.insert(db) }
            try db.execute(sql: "UPDATE takes SET sealed_bytes = (SELECT COALESCE(SUM(size), 0) FROM take_objects WHERE take_id = takes.id)")
            for var event in snapshot.events {
                event.id = nil
                try event.insert(db)
            }
            for job in snapshot.jobs { try job.insert(db) }
            for nonce in snapshot.nonces {
                try db.execute(sql: "INSERT INTO relay_nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)", arguments: [nonce.keyID, nonce.nonce, nonce.expiresAt])
            }
            for hold in snapshot.holds { try hold.insert(db) }
            for tombstone in snapshot.tombstones { try tombstone.insert(db) }
            for var change in snapshot.tierChanges {
                change.id = nil
                try change.insert(db)
            }
            for key in snapshot.masterKeys { try key.insert(db) }
        }
    }
}
