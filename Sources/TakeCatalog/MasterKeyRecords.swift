import GRDB
import TakevaultCore

/// A master key the vault has used, by its public id (never the key): the one new keys and staged
/// uploads are wrapped under (`current`), the one a rotation is replacing (`retiring`, still read),
/// or one replaced (`retired`). Nodes read their keys from their own secret files; this is how they
/// agree which key is the vault's, so that a node holding an outdated ring refuses to wrap rather
/// than write what the others cannot read once the old key is retired.
public struct MasterKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "master_keys"

    public enum State: String, Codable, Sendable {
        case current
        case retiring
        case retired
    }

    /// The key's id, 16 hex digits (FORMAT.md §3).
    public var keyID: String
    public var state: State
    /// When it took this state.
    public var since: String

    public init(keyID: String, state: State, since: String) {
        self.keyID = keyID
        self.state = state
        self.since = since
    }

    enum CodingKeys: String, CodingKey { case keyID = "key_id", state, since }
}

extension SQLiteCatalog {
    public func masterKeys() async throws -> [MasterKeyRecord] {
        try await read { try MasterKeyRecord.order(Column("since"), Column("key_id")).fetchAll($0) }
    }

    public func adoptMasterKey(_ id: String, at now: String) async throws -> String {
        try await write { db in
            if let current = try String.fetchOne(db, sql: "SELECT key_id FROM master_keys WHERE state = 'current'") { return current }
            try db.execute(sql: "INSERT INTO master_keys (key_id, state, since) VALUES (?, 'current', ?) ON CONFLICT (key_id) DO UPDATE SET state = 'current', since = excluded.since",
                           arguments: [id, now])
            return id
        }
    }

    public func recordMasterKey(current id: String, at now: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE master_keys SET state = 'retiring', since = ? WHERE state = 'current' AND key_id <> ?", arguments: [now, id])
            try db.execute(sql: """
                INSERT INTO master_keys (key_id, state, since) VALUES (?, 'current', ?)
                ON CONFLICT (key_id) DO UPDATE SET state = 'current', since = CASE WHEN master_keys.state = 'current' THEN master_keys.since ELSE excluded.since END
                """, arguments: [id, now])
        }
    }

    public func retireMasterKeys(at now: String) async throws {
        try await write { db in try db.execute(sql: "UPDATE master_keys SET state = 'retired', since = ? WHERE state = 'retiring'", arguments: [now]) }
    }
}
