import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Rebuilds the catalog's index from the store alone: owners and their keys from the key objects,
/// takes and their objects from the current manifests, each owner's tier, tier history,
/// restriction and holds from their current policy object (FORMAT.md §8). Events and jobs
/// (history) are kept. An owner from before policy objects keeps the tier their key object is
/// tagged with, and their first policy object is written from it.
///
/// Names outside the layout of FORMAT.md §2 — among them ids the identifier rule refuses, such as
/// an owner `Alice` written by an older version or by hand — are not indexed: they are counted and
/// named in the summary (``Summary/unindexed``), so an operator sees them instead of losing them.
///
/// An object that does not open — a key object under a master key the ring lacks, a damaged
/// manifest, a policy that fails authentication — does not stop the rebuild: everything else is
/// indexed and the object is listed in ``Summary/failures`` (the CLI then exits 4). A store that
/// cannot be read at all still stops it: run it again when the store is back.
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
        /// Objects that did not open (integrity errors), each left out of the index; their owner's
        /// or take's entries are missing until the object is repaired and the rebuild run again.
        public var failures: [Verify.Failure] = []
        public var ok: Bool { failures.isEmpty }

        enum CodingKeys: String, CodingKey { case owners, keys, takes, policies, unindexed, unindexedCount = "unindexed_count", failures, ok }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            owners = try container.decode(Int.self, forKey: .owners)
            keys = try container.decode(Int.self, forKey: .keys)
            takes = try container.decode(Int.self, forKey: .takes)
            policies = try container.decode(Int.self, forKey: .policies)
            unindexed = try container.decode([String].self, forKey: .unindexed)
            unindexedCount = try container.decode(Int.self, forKey: .unindexedCount)
            failures = try container.decodeIfPresent([Verify.Failure].self, forKey: .failures) ?? []
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(owners, forKey: .owners)
            try container.encode(keys, forKey: .keys)
            try container.encode(takes, forKey: .takes)
            try container.encode(policies, forKey: .policies)
            try container.encode(unindexed, forKey: .unindexed)
            try container.encode(unindexedCount, forKey: .unindexedCount)
            try container.encode(failures, forKey: .failures)
            try container.encode(ok, forKey: .ok)
        }

        /// Records `error` against `object` when it is an integrity error; rethrows anything else.
        mutating func skip(_ object: String, _ error: any Error) throws {
            guard let coded = error as? ReasonCoded, coded.category == .integrity else { throw error }
            failures.append(Verify.Failure(object: Verify.objectName(of: coded) ?? object, code: coded.code, message: coded.message))
        }
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
                    let object: [UInt8], key: OwnerKey
                    do {
                        object = try await vault.store.get(info.name, atMost: OwnerKey.largestKeyObjectSize)
                        key = try vault.masterKeys.unwrap(object, owner: owner, objectName: info.name)
                    } catch {
                        try summary.skip(info.name, error)
                        continue
                    }
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
                case .chunk, .takeKey:
                    break   // chunks are indexed from the manifests; take keys (format 3) are not catalogued
                case nil:
                    summary.unindexedCount += 1
                    if summary.unindexed.count < Self.unindexedListed { summary.unindexed.append(info.name) }
                }
            }
            let locator = ManifestLocator(vault: vault)
            var deleted: [String: Set<String>] = [:]
            for (take, manifest) in latest.sorted(by: { $0.key < $1.key }) {
                // Events outlive the index: a take last recorded as deleted is not brought back.
                if deleted[manifest.owner] == nil { deleted[manifest.owner] = try await AuditEvent.deletedTakes(owner: manifest.owner, in: vault.catalog) }
                if deleted[manifest.owner]?.contains(take) == true {
                    try summary.skip(manifest.name, PipelineError.deletedTakePresent(take: take))
                    continue
                }
                let opened: OpenedManifest
                do { opened = try await locator.open(name: manifest.name, owner: manifest.owner) } catch {
                    try summary.skip(manifest.name, error)
                    continue
                }
                try await CatalogIndexer(catalog: vault.catalog).record(
                    ManifestLocator.Opened(name: opened.name, header: opened.header, body: opened.body, objectBytes: opened.objectBytes),
                    event: nil, at: now)
                summary.takes += 1
            }
            // Policy last: a tier the manifests do not show yet (a change interrupted after its
            // policy object was stored) is finished here, as the next sweep would.
            let policies = OwnerPolicyStore(vault: vault)
            for owner in try await vault.catalog.owners() {
                do { try await policies.reconcile(owner: owner.id) } catch {
                    try summary.skip(ObjectNames.policyPrefix(owner: owner.id), error)
                    continue
                }
                if withPolicy.contains(owner.id) { summary.policies += 1 }
            }
            try await vault.catalog.append(AuditEvent.catalogRebuild(owners: summary.owners, takes: summary.takes).record(at: now))
            return summary
        }
    }
}
