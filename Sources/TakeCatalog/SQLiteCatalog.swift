import GRDB
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded catalog, the default for one machine: the ``Catalog`` contract in one SQLite file
/// (GRDB, write-ahead log, full synchronous commits), created owner-only.
///
/// Safe to use from many tasks (GRDB serialises access) and from several processes on the machine
/// (SQLite's locks, a 10 s busy timeout); every call suspends rather than blocks.
public final class SQLiteCatalog: Catalog {
    let database: DatabaseQueue

    /// Opens (creating if needed) the catalog at `path` and brings its schema up to date.
    public init(path: String) throws {
        do {
            // Created owner-only before SQLite opens it (its WAL and shared-memory files take the
            // database file's mode): ids and the job history are personal data (docs/SECURITY.md).
            let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if created >= 0 { close(created) }
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try CatalogMigrations.migrator.migrate(database)
        } catch {
            throw CatalogError.unavailable(path: path, detail: String(describing: error))
        }
    }

    /// Runs `body` on GRDB's own queue and suspends until it is done: a task waiting for the
    /// database gives its thread back to the pool instead of blocking it.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await database.read(body) } catch { throw CatalogError.wrap(error) }
    }

    /// As ``read(_:)``, in a write transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await database.write(body) } catch { throw CatalogError.wrap(error) }
    }

    // MARK: Owners and keys

    public func owner(_ id: String) async throws -> OwnerRecord? {
        try await read { try OwnerRecord.fetchOne($0, key: id) }
    }

    public func owners() async throws -> [OwnerRecord] {
        try await read { try OwnerRecord.order(OwnerRecord.Columns.id).fetchAll($0) }
    }

    /// Inserts the owner if absent; returns the stored row.
    @discardableResult
    public func ensureOwner(_ owner: OwnerRecord) async throws -> OwnerRecord {
        try await write { db in
            if let existing = try OwnerRecord.fetchOne(db, key: owner.id) { return existing }
            try owner.insert(db)
            return owner
        }
    }

    public func updateOwner(_ owner: OwnerRecord) async throws {
        try await write { try owner.update($0) }
    }

    public func ownerKeys(_ ownerID: String) async throws -> [OwnerKeyRecord] {
        try await read { try OwnerKeyRecord.filter(OwnerKeyRecord.Columns.ownerID == ownerID).order(OwnerKeyRecord.Columns.version).fetchAll($0) }
    }

    public func insertOwnerKey(_ key: OwnerKeyRecord) async throws {
        try await write { db in
            if try OwnerKeyRecord.fetchOne(db, key: ["owner_id": key.ownerID, "version": key.version]) == nil { try key.insert(db) }
        }
    }

    /// Replaces a key row (rewrapped under a new master key).
    public func replaceOwnerKey(_ key: OwnerKeyRecord) async throws {
        try await write { try key.save($0) }
    }

    public func deleteOwnerKeys(_ ownerID: String) async throws {
        try await write { _ = try OwnerKeyRecord.filter(OwnerKeyRecord.Columns.ownerID == ownerID).deleteAll($0) }
    }

    // MARK: Takes

    public func take(_ id: String) async throws -> TakeRecord? {
        try await read { try TakeRecord.fetchOne($0, key: id) }
    }

    /// Takes, newest first, optionally of one owner.
    public func takes(owner: String?) async throws -> [TakeRecord] {
        try await read { db in
            var request = TakeRecord.order(TakeRecord.Columns.ingestedAt.desc, TakeRecord.Columns.id)
            if let owner { request = request.filter(TakeRecord.Columns.ownerID == owner) }
            return try request.fetchAll(db)
        }
    }

    /// `owner`'s takes in `session`, oldest first (by ingest time, then id), at most `limit`,
    /// starting after `after` (an ingest time and take id from the previous page).
    public func sessionTakes(owner: String, session: String, after: (ingestedAt: String, takeID: String)?, limit: Int) async throws -> [TakeRecord] {
        try await read { db in
            var request = TakeRecord.filter(TakeRecord.Columns.ownerID == owner && TakeRecord.Columns.sessionID == session)
            if let after {
                request = request.filter(TakeRecord.Columns.ingestedAt > after.ingestedAt
                    || (TakeRecord.Columns.ingestedAt == after.ingestedAt && TakeRecord.Columns.id > after.takeID))
            }
            return try request.order(TakeRecord.Columns.ingestedAt, TakeRecord.Columns.id).limit(limit).fetchAll(db)
        }
    }

    /// Records a committed take and the objects it references, in one transaction (replacing an
    /// older generation's row).
    public func recordTake(_ take: TakeRecord, objects: [TakeObjectRecord], event: EventRecord?) async throws {
        try await write { db in
            try TakeObjectRecord.filter(TakeObjectRecord.Columns.takeID == take.id).deleteAll(db)
            try take.save(db)
            for object in objects { try object.save(db) }
            try db.execute(sql: "UPDATE takes SET sealed_bytes = ? WHERE id = ?", arguments: [objects.reduce(Int64(0)) { $0 + $1.size }, take.id])
            if var event { try event.insert(db) }
        }
    }

    public func objects(ofTake takeID: String) async throws -> [TakeObjectRecord] {
        try await read { try TakeObjectRecord.filter(TakeObjectRecord.Columns.takeID == takeID).fetchAll($0) }
    }

    /// Every object name some take references.
    public func referencedObjectNames(owner: String?) async throws -> Set<String> {
        try await read { db in
            if let owner {
                let names = try String.fetchAll(db, sql: """
                    SELECT DISTINCT o.object_name FROM take_objects o JOIN takes t ON t.id = o.take_id WHERE t.owner_id = ?
                    """, arguments: [owner])
                return Set(names)
            }
            return Set(try String.fetchAll(db, sql: "SELECT DISTINCT object_name FROM take_objects"))
        }
    }

    // MARK: Events

    public func append(_ event: EventRecord) async throws {
        try await write { db in
            var event = event
            try event.insert(db)
        }
    }

    public func events(owner: String?, limit: Int) async throws -> [EventRecord] {
        try await read { db in
            var request = EventRecord.order(EventRecord.Columns.id.desc).limit(limit)
            if let owner { request = request.filter(EventRecord.Columns.ownerID == owner) }
            return try request.fetchAll(db)
        }
    }

    /// `owner`'s takes whose most recent event among `kinds` (in the order they were recorded) is
    /// one of `latest` — for example the takes whose deletion was recorded after their last
    /// ingest — as long as events are kept.
    public func takes(owner: String, whoseLatestOf kinds: [String], isOneOf latest: Set<String>) async throws -> Set<String> {
        try await read { db in
            let events = try EventRecord.filter(EventRecord.Columns.ownerID == owner && kinds.contains(EventRecord.Columns.kind))
                .order(EventRecord.Columns.id).fetchAll(db)
            var last: [String: String] = [:]
            for event in events { if let take = event.takeID { last[take] = event.kind } }
            return Set(last.filter { latest.contains($0.value) }.keys)
        }
    }

    // MARK: Rebuild

    /// Empties owners, keys, takes and objects (events and jobs stay: they are history, not index).
    public func clearIndex() async throws {
        try await write { db in
            try TakeObjectRecord.deleteAll(db)
            try TakeRecord.deleteAll(db)
            try OwnerKeyRecord.deleteAll(db)
            try OwnerRecord.deleteAll(db)
        }
    }
}

/// Why the catalog could not answer.
public enum CatalogError: ReasonCoded, Equatable, Sendable {
    case unavailable(path: String, detail: String)
    case database(detail: String)

    static func wrap(_ error: Error) -> Error {
        // Our own errors (thrown inside a transaction to end it) pass through as they are.
        if error is ReasonCoded { return error }
        return CatalogError.database(detail: String(describing: error))
    }

    public var code: String {
        switch self {
        case .unavailable: "catalog_unavailable"
        case .database: "catalog_error"
        }
    }

    public var message: String {
        switch self {
        case .unavailable(let path, let detail): "The catalog at \(path) cannot be opened: \(detail)."
        case .database(let detail): "Catalog error: \(detail)."
        }
    }

    public var category: ErrorCategory { .failure }
}
