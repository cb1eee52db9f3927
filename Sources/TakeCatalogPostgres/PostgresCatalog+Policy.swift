import PostgresNIO
import TakeCatalog
import TakevaultCore

// Holds, tombstones, tier history, deletion, erasure, the record sweep and retention.
extension PostgresCatalog {
    // MARK: Holds

    public func insertHold(_ hold: HoldRecord) async throws {
        try await execute("""
            INSERT INTO holds (id, owner_id, take_id, reason, set_by, set_at, lifted_at, lifted_by)
            VALUES (\(hold.id), \(hold.ownerID), \(hold.takeID), \(hold.reason), \(hold.setBy), \(hold.setAt), \(hold.liftedAt), \(hold.liftedBy))
            """)
    }

    public func updateHold(_ hold: HoldRecord) async throws {
        try await connection { connection in
            try await connection.updateOne("""
                UPDATE holds SET owner_id = \(hold.ownerID), take_id = \(hold.takeID), reason = \(hold.reason), set_by = \(hold.setBy),
                    set_at = \(hold.setAt), lifted_at = \(hold.liftedAt), lifted_by = \(hold.liftedBy)
                WHERE id = \(hold.id) RETURNING 1
                """, what: "hold")
        }
    }

    public func saveHold(_ hold: HoldRecord) async throws {
        try await execute(Writes.upsertHold(hold))
    }

    public func activeHolds(owner: String?) async throws -> [HoldRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.holdColumns) FROM holds WHERE lifted_at IS NULL AND (\(owner)::text IS NULL OR owner_id = \(owner))
            ORDER BY set_at, id
            """, Rows.hold)
    }

    public func holds(owner: String) async throws -> [HoldRecord] {
        try await rows("SELECT \(unescaped: Rows.holdColumns) FROM holds WHERE owner_id = \(owner) ORDER BY set_at, id", Rows.hold)
    }

    // MARK: Tombstones

    public func insertTombstone(_ tombstone: TombstoneRecord) async throws {
        try await execute("INSERT INTO tombstones (id, at) VALUES (\(tombstone.id), \(tombstone.at))")
    }

    public func tombstones() async throws -> [TombstoneRecord] {
        try await rows("SELECT id, at FROM tombstones ORDER BY at, id", Rows.tombstone)
    }

    public func deleteTombstone(_ id: String) async throws {
        try await execute("DELETE FROM tombstones WHERE id = \(id)")
    }

    // MARK: Tiers

    public func appendTierChange(_ change: TierChangeRecord) async throws {
        try await execute(Writes.insertTierChange(change))
    }

    public func replaceTierHistory(owner: String, with changes: [TierChangeRecord]) async throws {
        try await transaction { connection in
            try await connection.execute("DELETE FROM tier_history WHERE owner_id = \(owner)")
            for change in changes { try await connection.execute(Writes.insertTierChange(change)) }
        }
    }

    public func tierHistory(owner: String) async throws -> [TierChangeRecord] {
        try await rows("SELECT id, owner_id, tier, at FROM tier_history WHERE owner_id = \(owner) ORDER BY at, id", Rows.tierChange)
    }

    // MARK: Deletion

    public func deleteTake(_ takeID: String, event: EventRecord?) async throws {
        try await transaction { connection in
            try await connection.execute("DELETE FROM takes WHERE id = \(takeID)")
            try await connection.execute("DELETE FROM jobs WHERE take_id = \(takeID) AND state = 'done'")
            if let event { try await connection.execute(Writes.insertEvent(event)) }
        }
    }

    public func eraseOwner(_ owner: String, tombstone: TombstoneRecord) async throws {
        try await transaction { connection in
            try await connection.execute("DELETE FROM owner_keys WHERE owner_id = \(owner)")
            try await connection.execute("DELETE FROM takes WHERE owner_id = \(owner)")
            try await connection.execute("DELETE FROM holds WHERE owner_id = \(owner)")
            try await connection.execute("DELETE FROM tier_history WHERE owner_id = \(owner)")
            try await connection.execute("DELETE FROM jobs WHERE owner_id = \(owner)")
            try await connection.execute("UPDATE events SET owner_id = NULL, take_id = NULL, detail = '{}' WHERE owner_id = \(owner)")
            try await connection.execute("DELETE FROM owners WHERE id = \(owner)")
            try await connection.execute("INSERT INTO tombstones (id, at) VALUES (\(tombstone.id), \(tombstone.at))")
        }
    }

    public func countRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int {
        let kept = Array(keepingJobs)
        return try await rows("""
            SELECT (SELECT count(*) FROM events WHERE at < \(cutoff))
                 + (SELECT count(*) FROM jobs WHERE updated_at < \(cutoff) AND state IN ('done', 'rejected', 'failed')
                    AND NOT (id = ANY(\(kept)::text[]))) AS n
            """) { try $0.value("n", as: Int.self) }.first ?? 0
    }

    public func deleteRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int {
        let kept = Array(keepingJobs)
        return try await transaction { connection in
            let events = try await connection.count("DELETE FROM events WHERE at < \(cutoff) RETURNING 1")
            let jobs = try await connection.count("""
                DELETE FROM jobs WHERE updated_at < \(cutoff) AND state IN ('done', 'rejected', 'failed')
                AND NOT (id = ANY(\(kept)::text[])) RETURNING 1
                """)
            return events + jobs
        }
    }

    // MARK: Retention

    public func takes(expiredBy instant: String) async throws -> [TakeRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.takeColumns) FROM takes WHERE retain_until IS NOT NULL AND retain_until <= \(instant)
            ORDER BY retain_until, owner_id, id
            """, Rows.take)
    }

    public func expiredTakes(at instant: String, owner: String?) async throws -> [ExpiredTake] {
        try await rows("""
            SELECT t.id, t.owner_id, t.retain_until, o.restricted, t.sealed_bytes
            FROM takes t JOIN owners o ON o.id = t.owner_id
            WHERE t.retain_until IS NOT NULL AND t.retain_until <= \(instant) AND (\(owner)::text IS NULL OR t.owner_id = \(owner))
            ORDER BY t.retain_until, t.owner_id, t.id
            """) { row in
            ExpiredTake(id: try row.value("id"), ownerID: try row.value("owner_id"), retainUntil: try row.value("retain_until"),
                        ownerRestricted: try row.value("restricted"), bytes: try row.value("sealed_bytes"))
        }
    }
}
