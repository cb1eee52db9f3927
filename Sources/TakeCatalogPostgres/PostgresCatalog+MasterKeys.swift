import PostgresNIO
import TakeCatalog
import TakevaultCore

// The master keys the vault's nodes agree on (``MasterKeyRecord``).
extension PostgresCatalog {
    public func masterKeys() async throws -> [MasterKeyRecord] {
        try await rows("SELECT key_id, state, since FROM master_keys ORDER BY since, key_id", Rows.masterKey)
    }

    public func adoptMasterKey(_ id: String, at now: String) async throws -> String {
        try await transaction { connection in
            // The unique index on the current row makes a second node's insert do nothing: both
            // then read the one that won.
            try await connection.execute("""
                INSERT INTO master_keys (key_id, state, since)
                SELECT \(id), 'current', \(now) WHERE NOT EXISTS (SELECT 1 FROM master_keys WHERE state = 'current')
                ON CONFLICT DO NOTHING
                """)
            let current = try await connection.rows("SELECT key_id FROM master_keys WHERE state = 'current'") { try $0.value("key_id", as: String.self) }
            guard let first = current.first else {
                // The id was there already, retired or retiring, and none is current: it becomes so.
                try await connection.execute("UPDATE master_keys SET state = 'current', since = \(now) WHERE key_id = \(id)")
                return id
            }
            return first
        }
    }

    public func recordMasterKey(current id: String, at now: String) async throws {
        try await transaction { connection in
            try await connection.execute("UPDATE master_keys SET state = 'retiring', since = \(now) WHERE state = 'current' AND key_id <> \(id)")
            try await connection.execute("""
                INSERT INTO master_keys (key_id, state, since) VALUES (\(id), 'current', \(now))
                ON CONFLICT (key_id) DO UPDATE SET state = 'current',
                    since = CASE WHEN master_keys.state = 'current' THEN master_keys.since ELSE excluded.since END
                """)
        }
    }

    public func retireMasterKeys(at now: String) async throws {
        try await execute("UPDATE master_keys SET state = 'retired', since = \(now) WHERE state = 'retiring'")
    }
}
