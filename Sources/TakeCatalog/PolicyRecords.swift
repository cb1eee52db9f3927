import GRDB
import TakevaultCore

/// A legal or investigative hold: while active, nothing it covers may be deleted.
public struct HoldRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "holds"
    public var id: String
    public var ownerID: String
    /// `nil`: the hold covers every take of the owner (and the owner itself).
    public var takeID: String?
    public var reason: String
    public var setBy: String
    public var setAt: String
    public var liftedAt: String?
    public var liftedBy: String?

    public init(id: String, ownerID: String, takeID: String?, reason: String, setBy: String, setAt: String) {
        self.id = id
        self.ownerID = ownerID
        self.takeID = takeID
        self.reason = reason
        self.setBy = setBy
        self.setAt = setAt
    }

    public var isActive: Bool { liftedAt == nil }

    enum CodingKeys: String, CodingKey {
        case id, ownerID = "owner_id", takeID = "take_id", reason, setBy = "set_by", setAt = "set_at", liftedAt = "lifted_at", liftedBy = "lifted_by"
    }
}

/// What remains of an erased owner: a random id and the time. Nothing else.
public struct TombstoneRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tombstones"
    public var id: String
    public var at: String

    public init(id: String, at: String) {
        self.id = id
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case id, at }
}

/// An owner's tier from a moment on.
public struct TierChangeRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "tier_history"
    public var id: Int64?
    public var ownerID: String
    public var tier: Tier
    public var at: String

    public init(ownerID: String, tier: Tier, at: String) {
        self.ownerID = ownerID
        self.tier = tier
        self.at = at
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    enum CodingKeys: String, CodingKey { case id, ownerID = "owner_id", tier, at }
}

extension SQLiteCatalog {
    // MARK: Holds

    public func insertHold(_ hold: HoldRecord) async throws { try await write { try hold.insert($0) } }

    public func updateHold(_ hold: HoldRecord) async throws { try await write { try hold.update($0) } }

    /// Inserts the hold, or replaces the row with its id.
    public func saveHold(_ hold: HoldRecord) async throws { try await write { try hold.save($0) } }

    /// Active holds, optionally of one owner.
    public func activeHolds(owner: String?) async throws -> [HoldRecord] {
        try await read { db in
            var request = HoldRecord.filter(HoldRecord.Columns.liftedAt == nil).order(HoldRecord.Columns.setAt)
            if let owner { request = request.filter(HoldRecord.Columns.ownerID == owner) }
            return try request.fetchAll(db)
        }
    }

    public func holds(owner: String) async throws -> [HoldRecord] {
        try await read { try HoldRecord.filter(HoldRecord.Columns.ownerID == owner).order(HoldRecord.Columns.setAt, HoldRecord.Columns.id).fetchAll($0) }
    }

    // MARK: Tombstones

    public func insertTombstone(_ tombstone: TombstoneRecord) async throws { try await write { try tombstone.insert($0) } }

    public func tombstones() async throws -> [TombstoneRecord] { try await read { try TombstoneRecord.order(TombstoneRecord.Columns.at).fetchAll($0) } }

    public func deleteTombstone(_ id: String) async throws { try await write { _ = try TombstoneRecord.deleteOne($0, key: id) } }

    // MARK: Tiers

    public func appendTierChange(_ change: TierChangeRecord) async throws {
        try await write { db in
            var change = change
            try change.insert(db)
        }
    }

    /// Replaces the owner's tier history (restoring it from the owner's policy object).
    public func replaceTierHistory(owner: String, with changes: [TierChangeRecord]) async throws {
        try await write { db in
            _ = try TierChangeRecord.filter(TierChangeRecord.Columns.ownerID == owner).deleteAll(db)
            for var change in changes {
                change.id = nil
                try change.insert(db)
            }
        }
    }

    public func tierHistory(owner: String) async throws -> [TierChangeRecord] {
        try await read { try TierChangeRecord.filter(TierChangeRecord.Columns.ownerID == owner).order(TierChangeRecord.Columns.at, TierChangeRecord.Columns.id).fetchAll($0) }
    }

    // MARK: Deletion

    /// Forgets a deleted take: its row, and the finished relay jobs that made it — their records
    /// name the take and keep its upload's metadata, and an idempotent retry of the upload must
    /// make the take anew rather than find a job that points at nothing.
    public func deleteTake(_ takeID: String, event: EventRecord?) async throws {
        try await write { db in
            _ = try TakeRecord.deleteOne(db, key: takeID)
            try db.execute(sql: "DELETE FROM jobs WHERE take_id = ? AND state = ?", arguments: [takeID, JobState.done.rawValue])
            if var event { try event.insert(db) }
        }
    }

    /// Removes every row that names `owner` (keys, takes, holds, tier history) and the owner row,
    /// and strips the owner id from past events: after erasure only the anonymous tombstone is left.
    public func eraseOwner(_ owner: String, tombstone: TombstoneRecord) async throws {
        try await write { db in
            try OwnerKeyRecord.filter(OwnerKeyRecord.Columns.ownerID == owner).deleteAll(db)
            try TakeRecord.filter(TakeRecord.Columns.ownerID == owner).deleteAll(db)
            try HoldRecord.filter(HoldRecord.Columns.ownerID == owner).deleteAll(db)
            try TierChangeRecord.filter(TierChangeRecord.Columns.ownerID == owner).deleteAll(db)
            try JobRecord.filter(JobRecord.Columns.ownerID == owner).deleteAll(db)
            try db.execute(sql: "UPDATE events SET owner_id = NULL, take_id = NULL, detail = '{}' WHERE owner_id = ?", arguments: [owner])
            _ = try OwnerRecord.deleteOne(db, key: owner)
            try tombstone.insert(db)
        }
    }

    /// Events and finished jobs recorded before `cutoff` (ISO 8601).
    /// With `keepingJobs`, jobs with those ids are not counted (nor deleted by ``deleteRecords``).
    public func countRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int {
        try await read { db in
            try EventRecord.filter(EventRecord.Columns.at < cutoff).fetchCount(db)
                + JobRecord.filter(JobRecord.Columns.updatedAt < cutoff && JobState.finalStates.contains(JobRecord.Columns.state)
                                   && !keepingJobs.contains(JobRecord.Columns.id)).fetchCount(db)
        }
    }

    /// Deletes events and finished jobs recorded before `cutoff` (ISO 8601), except the jobs in
    /// `keepingJobs` (those whose upload is still spooled: a job row outlives its upload).
    public func deleteRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int {
        try await write { db in
            let events = try EventRecord.filter(EventRecord.Columns.at < cutoff).deleteAll(db)
            let jobs = try JobRecord.filter(JobRecord.Columns.updatedAt < cutoff && JobState.finalStates.contains(JobRecord.Columns.state)
                                            && !keepingJobs.contains(JobRecord.Columns.id)).deleteAll(db)
            return events + jobs
        }
    }

    /// Takes whose retention ended at or before `instant` (ISO 8601), oldest first.
    public func takes(expiredBy instant: String) async throws -> [TakeRecord] {
        try await read { try TakeRecord.filter(TakeRecord.Columns.retainUntil != nil && TakeRecord.Columns.retainUntil <= instant).order(TakeRecord.Columns.retainUntil).fetchAll($0) }
    }

    public func updateTake(_ take: TakeRecord) async throws { try await write { try take.update($0) } }
}

/// A take whose retention has ended, with what the sweep needs to decide about it.
public struct ExpiredTake: Sendable, Equatable {
    public var id: String
    public var ownerID: String
    public var retainUntil: String
    public var ownerRestricted: Bool
    /// Sealed bytes of the objects the take references.
    public var bytes: Int64

    public init(id: String, ownerID: String, retainUntil: String, ownerRestricted: Bool, bytes: Int64) {
        self.id = id
        self.ownerID = ownerID
        self.retainUntil = retainUntil
        self.ownerRestricted = ownerRestricted
        self.bytes = bytes
    }
}

extension SQLiteCatalog {
    /// Every take expired at `instant` (ISO 8601), oldest first (ties in the index's row order): one
    /// scan of the retain-until index, rows read by position (decoding a million rows through
    /// Codable costs seconds).
    /// With `owner`, that owner's only.
    public func expiredTakes(at instant: String, owner: String?) async throws -> [ExpiredTake] {
        try await read { db in
            var result: [ExpiredTake] = []
            let ownerFilter = owner == nil ? "" : " AND t.owner_id = ?"
            var arguments: StatementArguments = [instant]
            if let owner { arguments += [owner] }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.id, t.owner_id, t.retain_until, o.restricted, t.sealed_bytes
                FROM takes t JOIN owners o ON o.id = t.owner_id
                WHERE t.retain_until IS NOT NULL AND t.retain_until <= ?\(ownerFilter)
                ORDER BY t.retain_until
                """, arguments: arguments)
            while let row = try rows.next() {
                result.append(ExpiredTake(id: row[0], ownerID: row[1], retainUntil: row[2], ownerRestricted: row[3], bytes: row[4]))
            }
            return result
        }
    }

    /// Runs `body` inside one write transaction (bulk loading, e.g. a benchmark's synthetic catalog).
    public func bulkWrite(_ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await write { try body($0) }
    }
}
