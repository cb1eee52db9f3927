import TakevaultCore

extension Vault {
    /// Whether the catalog and the store answer, for readiness probes: `"ok"` or the error's
    /// reason code under `catalog` and `store` (never its message: readiness is public, and a
    /// message may name the catalog's host and database). Reads one object's metadata and nothing else.
    /// A vault whose catalog is shared also reports `keys`: whether this node's master key ring
    /// holds the vault's current key (``MasterKeyCurrency``), read afresh from its key files.
    public func health() async -> [String: String] {
        func reason(_ error: any Error) -> String { (error as? ReasonCoded)?.code ?? "error" }
        var checks: [String: String] = [:]
        do { try await catalog.ping(); checks["catalog"] = "ok" } catch { checks["catalog"] = reason(error) }
        do { try await store.checkAvailable(); checks["store"] = "ok" } catch { checks["store"] = reason(error) }
        if catalogIsShared, checks["catalog"] == "ok" {
            do {
                try reloadMasterKeys()
                checks["keys"] = try await MasterKeyCurrency(vault: self).problem() ?? "ok"
            } catch { checks["keys"] = reason(error) }
        }
        return checks
    }

    /// Reaches the catalog (connecting and migrating a shared one), or throws why it cannot.
    public func checkCatalog() async throws {
        try await catalog.ping()
    }

    /// Reaches the catalog at `location` before a vault is made for it: `init` leaves nothing
    /// behind when the shared catalog it is given cannot be reached.
    public static func checkCatalog(_ location: String, vault root: String, environment: [String: String]) async throws {
        guard CatalogLocation.isShared(location) else { return }
        try await CatalogLocation.open(location, vault: root, environment: environment).catalog.ping()
    }
}
