import Synchronization
import TakevaultCore

extension Vault {
    /// Whether the catalog and the store answer, for readiness probes: `"ok"` or the error's
    /// reason code under `catalog` and `store` (never its message: readiness is public, and a
    /// message may name the catalog's host and database). Reads one object's metadata and nothing else.
    /// A vault whose catalog is shared also reports `keys`: whether this node's master key ring
    /// holds the vault's current key (``MasterKeyCurrency``), read afresh from its key files.
    ///
    /// Each check has `limit` to answer, so a probe gets its answer in bounded time even when the
    /// catalog or the store hangs rather than refuses (a silent network waits out its connect
    /// timeout): one that does not answer in time is reported `catalog_unavailable` or
    /// `store_unavailable`, as a refusal would be.
    public func health(limit: Duration = .seconds(3)) async -> [String: String] {
        var checks: [String: String] = [:]
        let catalog = self.catalog, store = self.store
        async let catalogCheck = Self.bounded(limit, timedOut: "catalog_unavailable") { try await catalog.ping() }
        async let storeCheck = Self.bounded(limit, timedOut: "store_unavailable") { try await store.checkAvailable() }
        checks["catalog"] = await catalogCheck
        checks["store"] = await storeCheck
        if catalogIsShared, checks["catalog"] == "ok" {
            do {
                try reloadMasterKeys()
                checks["keys"] = try await MasterKeyCurrency(vault: self).problem() ?? "ok"
            } catch { checks["keys"] = Self.reason(error) }
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

    private static func reason(_ error: any Error) -> String { (error as? ReasonCoded)?.code ?? "error" }

    /// `"ok"` when `check` returns within `limit`, its reason code when it throws, `timedOut` when
    /// it does neither in time. The check is not awaited past the limit (it runs on, cancelled, and
    /// its answer is dropped): a connection attempt that ignores cancellation cannot hold the probe.
    static func bounded(_ limit: Duration, timedOut: String, _ check: @escaping @Sendable () async throws -> Void) async -> String {
        await withCheckedContinuation { continuation in
            let settlement = Settlement(continuation)
            let work = Task {
                do { try await check(); settlement.settle("ok") } catch { settlement.settle(reason(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                settlement.settle(timedOut)
                work.cancel()
            }
        }
    }

    /// The one answer of a bounded check: the first to settle resumes the waiter, later ones are dropped.
    private final class Settlement: Sendable {
        private let waiter: Mutex<CheckedContinuation<String, Never>?>

        init(_ continuation: CheckedContinuation<String, Never>) { waiter = Mutex(continuation) }

        func settle(_ value: String) {
            waiter.withLock { waiter in
                waiter?.resume(returning: value)
                waiter = nil
            }
        }
    }
}
