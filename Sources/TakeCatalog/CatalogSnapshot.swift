import TakevaultCore

/// Every row of a catalog, table by table: what `takevault catalog migrate` copies from one
/// implementation to another. Events and tier changes keep their order (their ids are renumbered
/// by the catalog that loads them); everything else is copied as it is.
public struct CatalogSnapshot: Sendable, Equatable {
    public var owners: [OwnerRecord] = []
    public var ownerKeys: [OwnerKeyRecord] = []
    public var takes: [TakeRecord] = []
    public var objects: [TakeObjectRecord] = []
    public var events: [EventRecord] = []
    public var jobs: [JobRecord] = []
    public var nonces: [RelayNonce] = []
    public var holds: [HoldRecord] = []
    public var tombstones: [TombstoneRecord] = []
    public var tierChanges: [TierChangeRecord] = []
    public var masterKeys: [MasterKeyRecord] = []

    public init() {}

    /// The same rows with the ids a loading catalog assigns itself (events, tier changes) cleared,
    /// and every table in one order: two snapshots of the same content compare equal.
    public var normalised: CatalogSnapshot {
        var copy = self
        copy.owners.sort { $0.id < $1.id }
        copy.ownerKeys.sort { ($0.ownerID, $0.version) < ($1.ownerID, $1.version) }
        copy.takes.sort { $0.id < $1.id }
        copy.objects.sort { ($0.takeID, $0.objectName) < ($1.takeID, $1.objectName) }
        for index in copy.events.indices { copy.events[index].id = nil }
        copy.jobs.sort { $0.id < $1.id }
        copy.nonces.sort { ($0.keyID, $0.nonce) < ($1.keyID, $1.nonce) }
        copy.holds.sort { $0.id < $1.id }
        copy.tombstones.sort { $0.id < $1.id }
        for index in copy.tierChanges.indices { copy.tierChanges[index].id = nil }
        copy.masterKeys.sort { $0.keyID < $1.keyID }
        return copy
    }

    /// Rows in all tables.
    public var rowCount: Int {
        owners.count + ownerKeys.count + takes.count + objects.count + events.count + jobs.count + nonces.count + holds.count
            + tombstones.count + tierChanges.count + masterKeys.count
    }
}

/// A request nonce the relay has seen, kept until the signature's validity window ends.
public struct RelayNonce: Sendable, Equatable {
    public var keyID: String
    public var nonce: String
    public var expiresAt: String

    public init(keyID: String, nonce: String, expiresAt: String) {
        self.keyID = keyID
        self.nonce = nonce
        self.expiresAt = expiresAt
    }
}

/// Why a snapshot was not loaded.
public enum CatalogSnapshotError: ReasonCoded, Equatable, Sendable {
    /// The target catalog already holds rows: a copy never merges into another vault's index.
    case targetNotEmpty(rows: Int)

    public var code: String { "catalog_target_not_empty" }

    public var message: String {
        switch self {
        case .targetNotEmpty(let rows): "The target catalog is not empty (\(rows) row(s)); a catalog is copied only into an empty one."
        }
    }

    public var category: ErrorCategory { .usage }
}
