import Synchronization

extension PostgresCatalog {
    /// The catalog at `location` this process already has open, or a new one: one connection pool
    /// (and one schema check) per database per process, however often the vault is opened.
    ///
    /// `serve` opens the vault afresh for every job so that a rotated key ring is seen; without
    /// this, every job would build a pool, migrate-check on a connection of its own and tear the
    /// pool down again — a handful of extra connections per take, and a fresh pool's reconnect
    /// backoff to sit through after the database comes back. Entries are held weakly: a pool lives
    /// as long as some vault holds it, so short-lived processes and tests opening many databases
    /// do not keep idle connections to all of them.
    public static func shared(_ location: PostgresLocation) -> PostgresCatalog {
        openCatalogs.withLock { entries in
            if let catalog = entries[location]?.catalog { return catalog }
            entries = entries.filter { $0.value.catalog != nil }
            let catalog = PostgresCatalog(location)
            entries[location] = WeakCatalog(catalog: catalog)
            return catalog
        }
    }
}

/// A catalog some vault of this process still holds, or `nil` once none does.
private struct WeakCatalog {
    weak var catalog: PostgresCatalog?
}

/// The catalogs open in this process, by location (``PostgresCatalog/shared(_:)``).
private let openCatalogs = Mutex<[PostgresLocation: WeakCatalog]>([:])
