import ObjectStore
import TakeArchive
import TakeCatalog

/// Rebuilds the catalog's index from the store alone: owners and their keys from the key objects,
/// takes and their objects from the current manifests, each owner's tier, tier history,
/// restriction and holds from their current policy object (FORMAT.md §8). Events and jobs
/// (history) are kept. An owner from before policy objects keeps the tier their key object is
/// tagged with, and their first policy object is written from it.
///
/// Names outside the layout of FORMAT.md §2 — among them ids the identifier rule refuses, such as
/// an owner `Alice` written by an older version or by hand — are not indexed: they are counted and
/// named in the summary (``Summary/unindexed``), so an operator sees them instead of losing them.
public struct CatalogRebuild: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Summary: Sendable, Codable {
        public var owners = 0
        public var keys = 0
        public var takes = 0
        /// Owners whose policy (tier, restriction, holds) came from a policy object.
        public var policies = 0
        /// Object names under `v1/owners/` that are outside the layout (at most ``unindexedListed`` named).
        public var unindexed: [String] = []
        public var unindexedCount = 0

        enum CodingKeys: String, CodingKey { case owners, keys, takes, policies, unindexed, unindexedCount = "unindexed_count" }
    }

    /// How many unindexed names the summary lists.
    public static let unindexedListed = 100

    public func run() async throws -> Summary {
        try await vault.withLock(.vault, .exclusive) {
            var summary = Summary()
            let everything = try await vault.store.list(prefix: ObjectNames.root)
            try await vault.catalog.clearIndex()
            let now = Timestamp.string(vault.clock.now())
            var latest: [String: (owner: String, name: String, generation: Int)] = [:]
            var withPolicy = Set<String>()
            for info in everything {
                switch ObjectNames.parse(info.name) {
                case .key(let owner, _):
                    let object = try await vault.store.get(info.name, atMost: OwnerKey.keyObjectSize)
                    let key = try vault.masterKeys.unwrap(object, owner: owner, objectName: info.name)
                    if try await vault.catalog.owner(owner) == nil {
                        // The key object's tags carry the owner's tier (listings do not carry tags).
                        let tier = try await vault.store.head(info.name)?.tags.tier ?? .free
                        try await vault.catalog.ensureOwner(OwnerRecord(id: owner, tier: tier, createdAt: now))
                        summary.owners += 1
                    }
                    try await vault.catalog.insertOwnerKey(OwnerKeyRecord(ownerID: owner, version: key.version, wrapped: object,
                                                                    masterKeyID: OwnerKey.masterKeyID(ofKeyObject: object)?.hex ?? "", createdAt: now))
                    summary.keys += 1
                case .manifest(let owner, let take, let generation):
                    if latest[take].map({ $0.generation < generation }) ?? true { latest[take] = (owner, info.name, generation) }
                case .policy(let owner, _):
                    withPolicy.insert(owner)
                case .chunk:
                    break
                case nil:
                    summary.unindexedCount += 1
                    if summary.unindexed.count < Self.unindexedListed { summary.unindexed.append(info.name) }
                }
            }
            let locator = ManifestLocator(vault: vault)
            for (_, manifest) in latest.sorted(by: { $0.key < $1.key }) {
                let opened = try await locator.open(name: manifest.name, owner: manifest.owner)
                try await CatalogIndexer(catalog: vault.catalog).record(
                    ManifestLocator.Opened(name: opened.name, header: opened.header, body: opened.body, objectBytes: opened.objectBytes),
                    event: nil, at: now)
                summary.takes += 1
            }
            // Policy last: a tier the manifests do not show yet (a change interrupted after its
            // policy object was stored) is finished here, as the next sweep would.
            let policies = OwnerPolicyStore(vault: vault)
            for owner in try await vault.catalog.owners() {
                try await policies.reconcile(owner: owner.id)
                if withPolicy.contains(owner.id) { summary.policies += 1 }
            }
            try await vault.catalog.append(AuditEvent.catalogRebuild(owners: summary.owners, takes: summary.takes).record(at: now))
            return summary
        }
    }
}
