import GRDB
import TakevaultCore

/// The index of a vault: owners, their wrapped keys, takes and the objects they reference, jobs
/// and audit events, in SQLite (GRDB).
///
/// An index, not the truth: everything in it can be rebuilt from the store's manifests and key
/// objects (`takevault catalog rebuild`). Safe to use from many tasks (GRDB serialises access).
public final class Catalog: Sendable {
    let database: DatabaseQueue

    /// Opens (creating if needed) the catalog at `path` and brings its schema up to date.
    public init(path: String) throws {
        do {
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

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch { throw CatalogError.wrap(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch { throw CatalogError.wrap(error) }
    }

    // MARK: Owners and keys

    public func owner(_ id: String) throws -> OwnerRecord? {
        try read { try OwnerRecord.fetchOne($0, key: id) }
    }

    public func owners() throws -> [OwnerRecord] {
        try read { try OwnerRecord.order(OwnerRecord.Columns.id).fetchAll($0) }
    }

    /// Inserts the owner if absent; returns the stored row.
    @discardableResult
    public func ensureOwner(_ owner: OwnerRecord) throws -> OwnerRecord {
        try write { db in
            if let existing = try OwnerRecord.fetchOne(db, key: owner.id) { return existing }
            try owner.insert(db)
            return owner
        }
    }

    public func updateOwner(_ owner: OwnerRecord) throws {
        try write { try owner.update($0) }
    }

    public func ownerKeys(_ ownerID: String) throws -> [OwnerKeyRecord] {
        try read { try OwnerKeyRecord.filter(OwnerKeyRecord.Columns.ownerID == ownerID).order(OwnerKeyRecord.Columns.version).fetchAll($0) }
    }

    public func insertOwnerKey(_ key: OwnerKeyRecord) throws {
        try write { db in
            if try OwnerKeyRecord.fetchOne(db, key: ["owner_id": key.ownerID, "version": key.version]) == nil { try key.insert(db) }
        }
    }

    /// Replaces a key row (rewrapped under a new master key).
    public func replaceOwnerKey(_ key: OwnerKeyRecord) throws {
        try write { try key.save($0) }
    }

    public func deleteOwnerKeys(_ ownerID: String) throws {
        try write { _ = try OwnerKeyRecord.filter(OwnerKeyRecord.Columns.ownerID == ownerID).deleteAll($0) }
    }

    // MARK: Takes

    public func take(_ id: String) throws -> TakeRecord? {
        try read { try TakeRecord.fetchOne($0, key: id) }
    }

    /// Takes, newest first, optionally of one owner.
    public func takes(owner: String? = nil) throws -> [TakeRecord] {
        try read { db in
            var request = TakeRecord.order(TakeRecord.Columns.ingestedAt.desc, TakeRecord.Columns.id)
            if let owner { request = request.filter(TakeRecord.Columns.ownerID == owner) }
            return try request.fetchAll(db)
        }
    }

    /// Records a committed take and the objects it references, in one transaction (replacing an
    /// older generation's row).
    public func recordTake(_ take: TakeRecord, objects: [TakeObjectRecord], event: EventRecord? = nil) throws {
        try write { db in
            try TakeObjectRecord.filter(TakeObjectRecord.Columns.takeID == take.id).deleteAll(db)
            try take.save(db)
            for object in objects { try object.save(db) }
            try db.execute(sql: "UPDATE takes SET sealed_bytes = ? WHERE id = ?", arguments: [objects.reduce(Int64(0)) { $0 + $1.size }, take.id])
            if var event { try event.insert(db) }
        }
    }

    public func objects(ofTake takeID: String) throws -> [TakeObjectRecord] {
        try read { try TakeObjectRecord.filter(TakeObjectRecord.Columns.takeID == takeID).fetchAll($0) }
    }

    /// Every object name some take references.
    public func referencedObjectNames(owner: String? = nil) throws -> Set<String> {
        try read { db in
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

    public func append(_ event: EventRecord) throws {
        var event = event
        try write { try event.insert($0) }
    }

    public func events(owner: String? = nil, limit: Int = 1_000) throws -> [EventRecord] {
        try read { db in
            var request = EventRecord.order(EventRecord.Columns.id.desc).limit(limit)
            if let owner { request = request.filter(EventRecord.Columns.ownerID == owner) }
            return try request.fetchAll(db)
        }
    }

    // MARK: Rebuild

    /// Empties owners, keys, takes and objects (events and jobs stay: they are history, not index).
    public func clearIndex() throws {
        try write { db in
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
        if error is CatalogError { return error }
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
