import PostgresNIO
import TakeCatalog
import TakevaultCore

// Rows to records and back: every record's columns named once, in the order its SELECT lists them.

extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    /// A column holding a domain value's raw text; any other text is a catalog error, not a guess.
    func domain<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text = try self[column].decode(String.self)
        guard let value = T(rawValue: text) else { throw CatalogError.database(detail: "column \(column) holds unknown value \(text)") }
        return value
    }

    func optionalDomain<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T? where T.RawValue == String {
        guard let text = try self[column].decode(String?.self) else { return nil }
        guard let value = T(rawValue: text) else { throw CatalogError.database(detail: "column \(column) holds unknown value \(text)") }
        return value
    }
}

enum Rows {
    static let ownerColumns = "id, tier, created_at, restricted, erased_at, policy_version"

    static func owner(_ row: PostgresRandomAccessRow) throws -> OwnerRecord {
        OwnerRecord(id: try row.value("id"), tier: try row.domain("tier"), createdAt: try row.value("created_at"),
                    restricted: try row.value("restricted"), erasedAt: try row.value("erased_at"), policyVersion: try row.value("policy_version"))
    }

    static let ownerKeyColumns = "owner_id, version, wrapped, master_key_id, created_at"

    static func ownerKey(_ row: PostgresRandomAccessRow) throws -> OwnerKeyRecord {
        let wrapped: ByteBuffer = try row.value("wrapped")
        return OwnerKeyRecord(ownerID: try row.value("owner_id"), version: try row.value("version"), wrapped: Array(wrapped.readableBytesView),
                              masterKeyID: try row.value("master_key_id"), createdAt: try row.value("created_at"))
    }

    static let takeColumns = """
        id, owner_id, session_id, tier, original_name, upload_sha256, upload_bytes, recorded_at, ingested_at, retain_until, \
        generation, manifest_name, duration_s, integrated_lufs, stored_bytes
        """

    static func take(_ row: PostgresRandomAccessRow) throws -> TakeRecord {
        TakeRecord(
            id: try row.value("id"), ownerID: try row.value("owner_id"), sessionID: try row.value("session_id"), tier: try row.domain("tier"),
            originalName: try row.value("original_name"), uploadSHA256: try row.value("upload_sha256"), uploadBytes: try row.value("upload_bytes"),
            recordedAt: try row.value("recorded_at"), ingestedAt: try row.value("ingested_at"), retainUntil: try row.value("retain_until"),
            generation: try row.value("generation"), manifestName: try row.value("manifest_name"), durationS: try row.value("duration_s"),
            integratedLUFS: try row.value("integrated_lufs"), storedBytes: try row.value("stored_bytes"))
    }

    static let objectColumns = "take_id, object_name, kind, size"

    static func object(_ row: PostgresRandomAccessRow) throws -> TakeObjectRecord {
        TakeObjectRecord(takeID: try row.value("take_id"), objectName: try row.value("object_name"), kind: try row.domain("kind"), size: try row.value("size"))
    }

    static let eventColumns = "id, at, kind, owner_id, take_id, detail"

    static func event(_ row: PostgresRandomAccessRow) throws -> EventRecord {
        var event = EventRecord(at: try row.value("at"), kind: try row.value("kind"), ownerID: try row.value("owner_id"),
                                takeID: try row.value("take_id"), detail: try row.value("detail"))
        event.id = try row.value("id")
        return event
    }

    static let jobColumns = """
        id, kind, state, owner_id, take_id, created_at, updated_at, detail, relay_key_id, idempotency_key, upload_sha256, \
        attempts, callback_state, not_before, lease_node, lease_expires_at
        """

    static func job(_ row: PostgresRandomAccessRow) throws -> JobRecord {
        var job = JobRecord(
            id: try row.value("id"), kind: try row.value("kind"), state: try row.domain("state"), ownerID: try row.value("owner_id"),
            takeID: try row.value("take_id"), createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"),
            detail: try row.value("detail"), relayKeyID: try row.value("relay_key_id"), idempotencyKey: try row.value("idempotency_key"),
            uploadSHA256: try row.value("upload_sha256"), attempts: try row.value("attempts"), callbackState: try row.optionalDomain("callback_state"))
        job.notBefore = try row.value("not_before")
        job.leaseNode = try row.value("lease_node")
        job.leaseExpiresAt = try row.value("lease_expires_at")
        return job
    }

    static let holdColumns = "id, owner_id, take_id, reason, set_by, set_at, lifted_at, lifted_by"

    static func hold(_ row: PostgresRandomAccessRow) throws -> HoldRecord {
        var hold = HoldRecord(id: try row.value("id"), ownerID: try row.value("owner_id"), takeID: try row.value("take_id"),
                              reason: try row.value("reason"), setBy: try row.value("set_by"), setAt: try row.value("set_at"))
        hold.liftedAt = try row.value("lifted_at")
        hold.liftedBy = try row.value("lifted_by")
        return hold
    }

    static func masterKey(_ row: PostgresRandomAccessRow) throws -> MasterKeyRecord {
        let state: String = try row.value("state")
        guard let known = MasterKeyRecord.State(rawValue: state) else { throw CatalogError.database(detail: "master key state \(state) is not one takevault writes") }
        return MasterKeyRecord(keyID: try row.value("key_id"), state: known, since: try row.value("since"))
    }

    static func tombstone(_ row: PostgresRandomAccessRow) throws -> TombstoneRecord {
        TombstoneRecord(id: try row.value("id"), at: try row.value("at"))
    }

    static func tierChange(_ row: PostgresRandomAccessRow) throws -> TierChangeRecord {
        var change = TierChangeRecord(ownerID: try row.value("owner_id"), tier: try row.domain("tier"), at: try row.value("at"))
        change.id = try row.value("id")
        return change
    }
}

/// Statements that write one record, shared by the calls that insert or replace it.
enum Writes {
    static func insertEvent(_ event: EventRecord) -> PostgresQuery {
        "INSERT INTO events (at, kind, owner_id, take_id, detail) VALUES (\(event.at), \(event.kind), \(event.ownerID), \(event.takeID), \(event.detail))"
    }

    static func insertJob(_ job: JobRecord) -> PostgresQuery {
        """
        INSERT INTO jobs (id, kind, state, owner_id, take_id, created_at, updated_at, detail, relay_key_id, idempotency_key, upload_sha256,
                          attempts, callback_state, not_before, lease_node, lease_expires_at)
        VALUES (\(job.id), \(job.kind), \(job.state.rawValue), \(job.ownerID), \(job.takeID), \(job.createdAt), \(job.updatedAt), \(job.detail),
                \(job.relayKeyID), \(job.idempotencyKey), \(job.uploadSHA256), \(job.attempts), \(job.callbackState?.rawValue), \(job.notBefore),
                \(job.leaseNode), \(job.leaseExpiresAt))
        ON CONFLICT DO NOTHING
        RETURNING id
        """
    }

    /// Replaces job `job.id`'s row; with `leasedBy`, only while that node holds it processing.
    static func updateJob(_ job: JobRecord, leasedBy node: String?) -> PostgresQuery {
        """
        UPDATE jobs SET kind = \(job.kind), state = \(job.state.rawValue), owner_id = \(job.ownerID), take_id = \(job.takeID),
            created_at = \(job.createdAt), updated_at = \(job.updatedAt), detail = \(job.detail), relay_key_id = \(job.relayKeyID),
            idempotency_key = \(job.idempotencyKey), upload_sha256 = \(job.uploadSHA256), attempts = \(job.attempts),
            callback_state = \(job.callbackState?.rawValue), not_before = \(job.notBefore), lease_node = \(job.leaseNode),
            lease_expires_at = \(job.leaseExpiresAt)
        WHERE id = \(job.id) AND (\(node)::text IS NULL OR (state = 'processing' AND lease_node = \(node)))
        RETURNING 1
        """
    }

    static func upsertHold(_ hold: HoldRecord) -> PostgresQuery {
        """
        INSERT INTO holds (id, owner_id, take_id, reason, set_by, set_at, lifted_at, lifted_by)
        VALUES (\(hold.id), \(hold.ownerID), \(hold.takeID), \(hold.reason), \(hold.setBy), \(hold.setAt), \(hold.liftedAt), \(hold.liftedBy))
        ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id, take_id = EXCLUDED.take_id, reason = EXCLUDED.reason,
            set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at, lifted_at = EXCLUDED.lifted_at, lifted_by = EXCLUDED.lifted_by
        """
    }

    static func insertTierChange(_ change: TierChangeRecord) -> PostgresQuery {
        "INSERT INTO tier_history (owner_id, tier, at) VALUES (\(change.ownerID), \(change.tier.rawValue), \(change.at))"
    }
}

extension PostgresConnection {
    /// Runs an `… RETURNING 1` statement that must change one row; a missing row is an error, as
    /// it is for the SQLite catalog's updates.
    func updateOne(_ query: PostgresQuery, what: String) async throws {
        guard try await count(query) == 1 else { throw CatalogError.database(detail: "no \(what) to update") }
    }
}
