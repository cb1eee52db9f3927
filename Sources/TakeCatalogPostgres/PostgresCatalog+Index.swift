import PostgresNIO
import TakeCatalog
import TakevaultCore

// Owners, keys, takes, objects and events: the index the store's manifests and key objects can rebuild.
extension PostgresCatalog {
    // MARK: Owners and keys

    public func owner(_ id: String) async throws -> OwnerRecord? {
        try await rows("SELECT \(unescaped: Rows.ownerColumns) FROM owners WHERE id = \(id)", Rows.owner).first
    }

    public func owners() async throws -> [OwnerRecord] {
        try await rows("SELECT \(unescaped: Rows.ownerColumns) FROM owners ORDER BY id", Rows.owner)
    }

    @discardableResult
    public func ensureOwner(_ owner: OwnerRecord) async throws -> OwnerRecord {
        try await transaction { connection in
            try await connection.execute("""
                INSERT INTO owners (id, tier, created_at, restricted, erased_at, policy_version)
                VALUES (\(owner.id), \(owner.tier.rawValue), \(owner.createdAt), \(owner.restricted), \(owner.erasedAt), \(owner.policyVersion))
                ON CONFLICT (id) DO NOTHING
                """)
            guard let stored = try await connection.rows("SELECT \(unescaped: Rows.ownerColumns) FROM owners WHERE id = \(owner.id)", Rows.owner).first else {
                throw CatalogError.database(detail: "owner vanished while being ensured")
            }
            return stored
        }
    }

    public func updateOwner(_ owner: OwnerRecord) async throws {
        try await connection { connection in
            try await connection.updateOne("""
                UPDATE owners SET tier = \(owner.tier.rawValue), created_at = \(owner.createdAt), restricted = \(owner.restricted),
                    erased_at = \(owner.erasedAt), policy_version = \(owner.policyVersion)
                WHERE id = \(owner.id) RETURNING 1
                """, what: "owner")
        }
    }

    public func ownerKeys(_ ownerID: String) async throws -> [OwnerKeyRecord] {
        try await rows("SELECT \(unescaped: Rows.ownerKeyColumns) FROM owner_keys WHERE owner_id = \(ownerID) ORDER BY version", Rows.ownerKey)
    }

    public func insertOwnerKey(_ key: OwnerKeyRecord) async throws {
        try await execute("""
            INSERT INTO owner_keys (owner_id, version, wrapped, master_key_id, created_at)
            VALUES (\(key.ownerID), \(key.version), \(ByteBuffer(bytes: key.wrapped)), \(key.masterKeyID), \(key.createdAt))
            ON CONFLICT (owner_id, version) DO NOTHING
            """)
    }

    public func replaceOwnerKey(_ key: OwnerKeyRecord) async throws {
        try await execute("""
            INSERT INTO owner_keys (owner_id, version, wrapped, master_key_id, created_at)
            VALUES (\(key.ownerID), \(key.version), \(ByteBuffer(bytes: key.wrapped)), \(key.masterKeyID), \(key.createdAt))
            ON CONFLICT (owner_id, version) DO UPDATE SET wrapped = EXCLUDED.wrapped, master_key_id = EXCLUDED.master_key_id,
                created_at = EXCLUDED.created_at
            """)
    }

    public func deleteOwnerKeys(_ ownerID: String) async throws {
        try await execute("DELETE FROM owner_keys WHERE owner_id = \(ownerID)")
    }

    // MARK: Takes

    public func take(_ id: String) async throws -> TakeRecord? {
        try await rows("SELECT \(unescaped: Rows.takeColumns) FROM takes WHERE id = \(id)", Rows.take).first
    }

    public func takes(owner: String?) async throws -> [TakeRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.takeColumns) FROM takes WHERE \(owner)::text IS NULL OR owner_id = \(owner)
            ORDER BY ingested_at DESC, id
            """, Rows.take)
    }

    public func sessionTakes(owner: String, session: String, after: (ingestedAt: String, takeID: String)?, limit: Int) async throws -> [TakeRecord] {
        let afterTime = after?.ingestedAt
        let afterID = after?.takeID
        return try await rows("""
            SELECT \(unescaped: Rows.takeColumns) FROM takes
            WHERE owner_id = \(owner) AND session_id = \(session)
              AND (\(afterTime)::text IS NULL OR (ingested_at, id) > (\(afterTime)::text, \(afterID)::text))
            ORDER BY ingested_at, id LIMIT \(max(0, limit))
            """, Rows.take)
    }

    public func recordTake(_ take: TakeRecord, objects: [TakeObjectRecord], event: EventRecord?) async throws {
        let sealedBytes = objects.reduce(Int64(0)) { $0 &+ $1.size }
        try await transaction { connection in
            try await connection.execute("DELETE FROM take_objects WHERE take_id = \(take.id)")
            try await connection.execute("""
                INSERT INTO takes (id, owner_id, session_id, tier, original_name, upload_sha256, upload_bytes, recorded_at, ingested_at,
                                   retain_until, generation, manifest_name, duration_s, integrated_lufs, stored_bytes, sealed_bytes)
                VALUES (\(take.id), \(take.ownerID), \(take.sessionID), \(take.tier.rawValue), \(take.originalName), \(take.uploadSHA256),
                        \(take.uploadBytes), \(take.recordedAt), \(take.ingestedAt), \(take.retainUntil), \(take.generation),
                        \(take.manifestName), \(take.durationS), \(take.integratedLUFS), \(take.storedBytes), \(sealedBytes))
                ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id, session_id = EXCLUDED.session_id, tier = EXCLUDED.tier,
                    original_name = EXCLUDED.original_name, upload_sha256 = EXCLUDED.upload_sha256, upload_bytes = EXCLUDED.upload_bytes,
                    recorded_at = EXCLUDED.recorded_at, ingested_at = EXCLUDED.ingested_at, retain_until = EXCLUDED.retain_until,
                    generation = EXCLUDED.generation, manifest_name = EXCLUDED.manifest_name, duration_s = EXCLUDED.duration_s,
                    integrated_lufs = EXCLUDED.integrated_lufs, stored_bytes = EXCLUDED.stored_bytes, sealed_bytes = EXCLUDED.sealed_bytes
                """)
            if !objects.isEmpty {
                // One statement for all of a take's objects (a long take has thousands of chunks).
                try await connection.execute("""
                    INSERT INTO take_objects (take_id, object_name, kind, size)
                    SELECT \(take.id), name, kind, size FROM unnest(\(objects.map(\.objectName))::text[], \(objects.map(\.kind.rawValue))::text[],
                                                                  \(objects.map(\.size))::bigint[]) AS o(name, kind, size)
                    ON CONFLICT (take_id, object_name) DO UPDATE SET kind = EXCLUDED.kind, size = EXCLUDED.size
                    """)
            }
            if let event { try await connection.execute(Writes.insertEvent(event)) }
        }
    }

    public func objects(ofTake takeID: String) async throws -> [TakeObjectRecord] {
        try await rows("SELECT \(unescaped: Rows.objectColumns) FROM take_objects WHERE take_id = \(takeID)", Rows.object)
    }

    public func referencedObjectNames(owner: String?) async throws -> Set<String> {
        let names = try await rows("""
            SELECT DISTINCT o.object_name FROM take_objects o JOIN takes t ON t.id = o.take_id
            WHERE \(owner)::text IS NULL OR t.owner_id = \(owner)
            """) { try $0.value("object_name", as: String.self) }
        return Set(names)
    }

    public func updateTake(_ take: TakeRecord) async throws {
        try await connection { connection in
            try await connection.updateOne("""
                UPDATE takes SET owner_id = \(take.ownerID), session_id = \(take.sessionID), tier = \(take.tier.rawValue),
                    original_name = \(take.originalName), upload_sha256 = \(take.uploadSHA256), upload_bytes = \(take.uploadBytes),
                    recorded_at = \(take.recordedAt), ingested_at = \(take.ingestedAt), retain_until = \(take.retainUntil),
                    generation = \(take.generation), manifest_name = \(take.manifestName), duration_s = \(take.durationS),
                    integrated_lufs = \(take.integratedLUFS), stored_bytes = \(take.storedBytes)
                WHERE id = \(take.id) RETURNING 1
                """, what: "take")
        }
    }

    // MARK: Events

    public func append(_ event: EventRecord) async throws {
        try await execute(Writes.insertEvent(event))
    }

    public func events(owner: String?, limit: Int) async throws -> [EventRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.eventColumns) FROM events WHERE \(owner)::text IS NULL OR owner_id = \(owner)
            ORDER BY id DESC LIMIT \(max(0, limit))
            """, Rows.event)
    }

    public func takes(owner: String, whoseLatestOf kinds: [String], isOneOf latest: Set<String>) async throws -> Set<String> {
        let found = try await rows("""
            SELECT take_id FROM (
                SELECT DISTINCT ON (take_id) take_id, kind FROM events
                WHERE owner_id = \(owner) AND take_id IS NOT NULL AND kind = ANY(\(kinds)::text[])
                ORDER BY take_id, id DESC
            ) AS latest WHERE kind = ANY(\(Array(latest))::text[])
            """) { try $0.value("take_id", as: String.self) }
        return Set(found)
    }

    // MARK: Rebuild

    public func clearIndex() async throws {
        try await transaction { connection in
            try await connection.execute("DELETE FROM take_objects")
            try await connection.execute("DELETE FROM takes")
            try await connection.execute("DELETE FROM owner_keys")
            try await connection.execute("DELETE FROM owners")
        }
    }
}
