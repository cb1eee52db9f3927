import PostgresNIO
import TakeCatalog
import TakevaultCore

extension PostgresCatalog {
    static let allTables = ["owners", "owner_keys", "takes", "take_objects", "events", "jobs", "relay_nonces", "holds", "tombstones", "tier_history", "master_keys"]

    public func snapshot() async throws -> CatalogSnapshot {
        try await transaction { connection in
            // One view of every table, however many rows: a copy consistent while nodes write.
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            var snapshot = CatalogSnapshot()
            snapshot.owners = try await connection.rows("SELECT \(unescaped: Rows.ownerColumns) FROM owners ORDER BY id", Rows.owner)
            snapshot.ownerKeys = try await connection.rows("SELECT \(unescaped: Rows.ownerKeyColumns) FROM owner_keys ORDER BY owner_id, version", Rows.ownerKey)
            snapshot.takes = try await connection.rows("SELECT \(unescaped: Rows.takeColumns) FROM takes ORDER BY id", Rows.take)
            snapshot.objects = try await connection.rows("SELECT \(unescaped: Rows.objectColumns) FROM take_objects ORDER BY take_id, object_name", Rows.object)
            snapshot.events = try await connection.rows("SELECT \(unescaped: Rows.eventColumns) FROM events ORDER BY id", Rows.event)
            snapshot.jobs = try await connection.rows("SELECT \(unescaped: Rows.jobColumns) FROM jobs ORDER BY id", Rows.job)
            snapshot.nonces = try await connection.rows("SELECT key_id, nonce, expires_at FROM relay_nonces ORDER BY key_id, nonce") {
                RelayNonce(keyID: try $0.value("key_id"), nonce: try $0.value("nonce"), expiresAt: try $0.value("expires_at"))
            }
            snapshot.holds = try await connection.rows("SELECT \(unescaped: Rows.holdColumns) FROM holds ORDER BY id", Rows.hold)
            snapshot.tombstones = try await connection.rows("SELECT id, at FROM tombstones ORDER BY at, id", Rows.tombstone)
            snapshot.tierChanges = try await connection.rows("SELECT id, owner_id, tier, at FROM tier_history ORDER BY id", Rows.tierChange)
            snapshot.masterKeys = try await connection.rows("SELECT key_id, state, since FROM master_keys ORDER BY key_id", Rows.masterKey)
            return snapshot
        }
    }

    public func load(_ snapshot: CatalogSnapshot) async throws {
        try await transaction { connection in
            // No other node writes while the copy goes in, and none finds it half loaded.
            try await connection.execute("LOCK TABLE \(unescaped: Self.allTables.joined(separator: ", ")) IN EXCLUSIVE MODE")
            let rows = try await connection.rows(PostgresQuery(unsafeSQL: "SELECT "
                + Self.allTables.map { "(SELECT count(*) FROM \($0))" }.joined(separator: " + ") + " AS n")) { try $0.value("n", as: Int.self) }.first ?? 0
            guard rows == 0 else { throw CatalogSnapshotError.targetNotEmpty(rows: rows) }

            try await connection.insertAll(snapshot.owners, into: "owners", ["id", "tier", "created_at", "restricted", "erased_at", "policy_version"]) { row, b in
                b.append(row.id); b.append(row.tier.rawValue); b.append(row.createdAt); b.append(row.restricted); b.append(row.erasedAt); b.append(row.policyVersion)
            }
            try await connection.insertAll(snapshot.ownerKeys, into: "owner_keys", ["owner_id", "version", "wrapped", "master_key_id", "created_at"]) { row, b in
                b.append(row.ownerID); b.append(row.version); b.append(ByteBuffer(bytes: row.wrapped)); b.append(row.masterKeyID); b.append(row.createdAt)
            }
            try await connection.insertAll(snapshot.takes, into: "takes", [
                "id", "owner_id", "session_id", "tier", "original_name", "upload_sha256", "upload_bytes", "recorded_at", "ingested_at", "retain_until",
                "generation", "manifest_name", "duration_s", "integrated_lufs", "stored_bytes",
            ]) { row, b in
                b.append(row.id); b.append(row.ownerID); b.append(row.sessionID); b.append(row.tier.rawValue); b.append(row.originalName)
                b.append(row.uploadSHA256); b.append(row.uploadBytes); b.append(row.recordedAt); b.append(row.ingestedAt); b.append(row.retainUntil)
                b.append(row.generation); b.append(row.manifestName); b.append(row.durationS); b.append(row.integratedLUFS); b.append(row.storedBytes)
            }
            try await connection.insertAll(snapshot.objects, into: "take_objects", ["take_id", "object_name", "kind", "size"]) { row, b in
                b.append(row.takeID); b.append(row.objectName); b.append(row.kind.rawValue); b.append(row.size)
            }
            try await connection.execute("""
                UPDATE takes SET sealed_bytes = s.bytes FROM (SELECT take_id, sum(size) AS bytes FROM take_objects GROUP BY take_id) AS s
                WHERE s.take_id = takes.id
                """)
            // Events and tier changes in their order; the identity columns number them anew.
            try await connection.insertAll(snapshot.events, into: "events", ["at", "kind", "owner_id", "take_id", "detail"]) { row, b in
                b.append(row.at); b.append(row.kind); b.append(row.ownerID); b.append(row.takeID); b.append(row.detail)
            }
            try await connection.insertAll(snapshot.jobs, into: "jobs", [
                "id", "kind", "state", "owner_id", "take_id", "created_at", "updated_at", "detail", "relay_key_id", "idempotency_key", "upload_sha256",
                "attempts", "callback_state", "not_before", "lease_node", "lease_expires_at",
            ]) { row, b in
                b.append(row.id); b.append(row.kind); b.append(row.state.rawValue); b.append(row.ownerID); b.append(row.takeID); b.append(row.createdAt)
                b.append(row.updatedAt); b.append(row.detail); b.append(row.relayKeyID); b.append(row.idempotencyKey); b.append(row.uploadSHA256)
                b.append(row.attempts); b.append(row.callbackState?.rawValue); b.append(row.notBefore); b.append(row.leaseNode)
                b.append(row.leaseExpiresAt)
            }
            try await connection.insertAll(snapshot.nonces, into: "relay_nonces", ["key_id", "nonce", "expires_at"]) { row, b in
                b.append(row.keyID); b.append(row.nonce); b.append(row.expiresAt)
            }
            try await connection.insertAll(snapshot.holds, into: "holds", ["id", "owner_id", "take_id", "reason", "set_by", "set_at", "lifted_at", "lifted_by"]) { row, b in
                b.append(row.id); b.append(row.ownerID); b.append(row.takeID); b.append(row.reason); b.append(row.setBy); b.append(row.setAt)
                b.append(row.liftedAt); b.append(row.liftedBy)
            }
            try await connection.insertAll(snapshot.tombstones, into: "tombstones", ["id", "at"]) { row, b in
                b.append(row.id); b.append(row.at)
            }
            try await connection.insertAll(snapshot.tierChanges, into: "tier_history", ["owner_id", "tier", "at"]) { row, b in
                b.append(row.ownerID); b.append(row.tier.rawValue); b.append(row.at)
            }
            try await connection.insertAll(snapshot.masterKeys, into: "master_keys", ["key_id", "state", "since"]) { row, b in
                b.append(row.keyID); b.append(row.state.rawValue); b.append(row.since)
            }
        }
    }
}

extension PostgresConnection {
    /// Inserts `rows` into `table`, as many per statement as PostgreSQL's bind limit allows (a
    /// million-chunk catalog is a few hundred statements, not a million round trips). `bind`
    /// appends one row's values, in `columns`' order.
    func insertAll<Row>(_ rows: [Row], into table: String, _ columns: [String], bind: (Row, inout PostgresBindings) -> Void) async throws {
        let perStatement = max(1, 60_000 / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + perStatement)
            var bindings = PostgresBindings(capacity: (end - start) * columns.count)
            var tuples: [String] = []
            tuples.reserveCapacity(end - start)
            var parameter = 1
            for row in rows[start..<end] {
                bind(row, &bindings)
                tuples.append("(" + (parameter..<parameter + columns.count).map { "$\($0)" }.joined(separator: ", ") + ")")
                parameter += columns.count
            }
            precondition(bindings.count == (end - start) * columns.count, "a row bound the wrong number of values for \(table)")
            try await execute(PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + tuples.joined(separator: ", "),
                                            binds: bindings))
            start = end
        }
    }
}
