extension Vault {
    /// Whether the catalog and the store answer, for readiness probes: `"ok"` or the error's
    /// description under `catalog` and `store`. Reads one object's metadata and nothing else.
    public func health() async -> [String: String] {
        var checks: [String: String] = [:]
        do { try await catalog.ping(); checks["catalog"] = "ok" } catch { checks["catalog"] = "\(error)" }
        do { try await store.checkAvailable(); checks["store"] = "ok" } catch { checks["store"] = "\(error)" }
        return checks
    }
}
