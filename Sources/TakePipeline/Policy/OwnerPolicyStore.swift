import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An owner's policy state — tier and its history, restriction, holds — kept in the store as
/// sealed, versioned, create-only objects (FORMAT.md §8), with the catalog as its index.
///
/// A change stores its new version first and then updates the catalog, so a crash between the two
/// leaves the catalog behind the store, never ahead of it; ``reconcile(owner:)`` (run by the next
/// change of that owner, by each sweep before it acts on the owner, and by `catalog rebuild`)
/// carries the store's state into the catalog. Callers hold the owner's exclusive lock.
struct OwnerPolicyStore {
    let vault: Vault

    /// The owner's current policy object and its version, or `nil` when none was ever stored (an
    /// owner from before policy objects, until their first change).
    func current(owner: String) async throws -> OwnerPolicy? {
        let versions = try await vault.store.list(prefix: ObjectNames.policyPrefix(owner: owner)).compactMap { info -> Int? in
            if case .policy(owner, let version) = ObjectNames.parse(info.name) { return version }
            return nil
        }
        guard let latest = versions.max() else { return nil }
        return try await open(owner: owner, version: latest)
    }

    func open(owner: String, version: Int) async throws -> OwnerPolicy {
        let name = ObjectNames.policy(owner: owner, version: version)
        // At most one byte past the largest policy object: a giant put in its place is refused
        // (by the sealer's size check) without being read whole.
        let object = try await vault.store.get(name, range: 0..<Int64(OwnerPolicySealer.maximumSize + 1))
        let key = try await OwnerKeyring(vault: vault).key(owner: owner, version: OwnerPolicySealer.keyVersion(object, objectName: name))
        return try OwnerPolicySealer.open(object, owner: owner, version: version, key: key, objectName: name)
    }

    /// What the catalog records for `owner`, as a policy (version 0: not stored yet).
    func fromCatalog(_ owner: OwnerRecord) async throws -> OwnerPolicy {
        let history = try await vault.catalog.tierHistory(owner: owner.id).map { OwnerPolicy.TierPeriod(tier: $0.tier, at: $0.at) }
        let holds = try await vault.catalog.holds(owner: owner.id).map {
            OwnerPolicy.Hold(id: $0.id, take: $0.takeID, reason: $0.reason, setBy: $0.setBy, setAt: $0.setAt, liftedBy: $0.liftedBy, liftedAt: $0.liftedAt)
        }
        return OwnerPolicy(owner: owner.id, version: 0, createdAt: owner.createdAt, tier: owner.tier,
                           tierHistory: history.isEmpty ? [.init(tier: owner.tier, at: owner.createdAt)] : history,
                           restricted: owner.restricted, holds: holds)
    }

    /// Stores `policy` as its version, create-only: a version is never overwritten.
    func store(_ policy: OwnerPolicy, key given: OwnerKey? = nil) async throws {
        var key = given
        if key == nil { key = try await OwnerKeyring(vault: vault).currentKey(owner: policy.owner) }
        guard let key else {
            throw PipelineError.takeNotFound("owner \(policy.owner)")
        }
        let tags = ObjectTags(owner: policy.owner, tier: policy.tier, kind: .ownerPolicy, retainUntil: nil, region: vault.region)
        try await vault.store.put(ObjectNames.policy(owner: policy.owner, version: policy.version),
                                  data: try OwnerPolicySealer.seal(policy, key: key), tags: tags, createOnly: true)
    }

    /// The first version, written when an owner is created: their tier from the start. Another
    /// process creating the same owner at the same moment may have written it: theirs stands.
    func storeFirst(owner: String, tier: Tier, at created: String, key: OwnerKey) async throws {
        let first = OwnerPolicy(owner: owner, version: 1, createdAt: created, tier: tier, tierHistory: [.init(tier: tier, at: created)],
                                restricted: false, holds: [])
        do { try await store(first, key: key) } catch StoreError.alreadyExists {}
    }

    /// Applies `change` to the owner's current state and stores the result as the next version,
    /// then brings the catalog in step (the catalog's tier included: takes are re-dated by the
    /// caller before, see ``OwnerAdministration``). Returns the new version.
    @discardableResult
    func change(owner: String, _ change: (inout OwnerPolicy) throws -> Void) async throws -> OwnerPolicy {
        let current = try await reconcile(owner: owner)
        var next = current.nextVersion()
        try change(&next)
        try await store(next)
        try await applyToCatalog(next)
        return next
    }

    /// Marks the owner due for a re-key (FORMAT.md §9) in their policy, unless already marked:
    /// a take's key is about to be deleted. The caller holds the owner exclusively.
    func markRekeyDue(owner: String) async throws {
        guard try await reconcile(owner: owner).rekeyDue != true else { return }
        try await change(owner: owner) { $0.rekeyDue = true }
    }

    /// The owner's current policy, with the catalog brought in step with it first: the catalog
    /// follows the store. An owner without a policy object yet gets one from the catalog's record
    /// (the store then holds their state too). A tier the catalog does not show yet (a change
    /// interrupted after its object was stored) is finished: every take not yet on it is re-dated
    /// as the change would have, from the change's instant.
    @discardableResult
    func reconcile(owner id: String) async throws -> OwnerPolicy {
        guard let record = try await vault.catalog.owner(id) else { throw PipelineError.takeNotFound("owner \(id)") }
        guard let stored = try await current(owner: id) else {
            // Every version gone while the catalog follows one: rolled back, not an old owner.
            guard record.policyVersion == 0 else { throw PipelineError.policyRollback(owner: id, stored: 0, recorded: record.policyVersion) }
            var first = try await fromCatalog(record)
            first.version = 1
            do { try await store(first) } catch StoreError.alreadyExists {
                // Another process stored version 1 first; reading it back (rather than listing
                // again) also stops at anything in its place that is not a policy object.
                _ = try await open(owner: id, version: first.version)
                return try await reconcile(owner: id)
            }
            try await recordVersion(of: record, first.version)
            return first
        }
        guard stored.version >= record.policyVersion else {
            throw PipelineError.policyRollback(owner: id, stored: stored.version, recorded: record.policyVersion)
        }
        var catalogued = try await fromCatalog(record)
        catalogued.rekeyDue = stored.rekeyDue   // the store's alone: the catalog has no copy
        guard !stored.sameState(as: catalogued) else {
            try await recordVersion(of: record, stored.version)
            return stored
        }
        if record.tier != stored.tier {
            let changedAt = stored.tierHistory.last.flatMap { Timestamp.date($0.at) } ?? vault.clock.now()
            _ = try await redateTakes(owner: id, to: stored.tier, changedAt: changedAt, onlyBehind: true)
        }
        try await applyToCatalog(stored)
        return stored
    }

    /// Records that the catalog follows policy `version` (no change when it already does).
    private func recordVersion(of record: OwnerRecord, _ version: Int) async throws {
        guard record.policyVersion != version else { return }
        var updated = record
        updated.policyVersion = version
        try await vault.catalog.updateOwner(updated)
    }

    /// Re-dates the takes of `owner` by the retention rule of a tier change to `tier` at
    /// `changedAt`: every take, or with `onlyBehind` those whose catalog row is not on it yet (an
    /// interrupted change being finished). Returns the takes re-dated, with their new ends.
    func redateTakes(owner id: String, to tier: Tier, changedAt: Date, onlyBehind: Bool = false) async throws -> [(take: String, retainUntil: String?)] {
        var changed: [(String, String?)] = []
        let isHeld = try await ProtectionTags(vault: vault).heldTakes(owner: id)
        for take in try await vault.catalog.takes(owner: id) {
            guard let ingested = Timestamp.date(take.ingestedAt) else { continue }
            let previous = take.retainUntil.flatMap(Timestamp.date)
            let end = vault.settings.retention.retainUntil(tier: tier, ingestedAt: ingested, previous: previous, changedAt: changedAt).map(Timestamp.string)
            if onlyBehind && take.tier == tier { continue }
            try await TakeRedating(vault: vault).redate(take, tier: tier, retainUntil: end, held: isHeld(take.id))
            changed.append((take.id, end))
        }
        return changed
    }

    /// Makes the catalog's owner row, tier history and holds say what `policy` says.
    func applyToCatalog(_ policy: OwnerPolicy) async throws {
        guard var owner = try await vault.catalog.owner(policy.owner) else { throw PipelineError.takeNotFound("owner \(policy.owner)") }
        if owner.tier != policy.tier || owner.restricted != policy.restricted || owner.createdAt != policy.createdAt || owner.policyVersion != policy.version {
            owner.tier = policy.tier
            owner.restricted = policy.restricted
            owner.createdAt = policy.createdAt
            owner.policyVersion = policy.version
            try await vault.catalog.updateOwner(owner)
        }
        let history = try await vault.catalog.tierHistory(owner: policy.owner).map { OwnerPolicy.TierPeriod(tier: $0.tier, at: $0.at) }
        if history != policy.tierHistory {
            try await vault.catalog.replaceTierHistory(owner: policy.owner, with: policy.tierHistory.map { TierChangeRecord(ownerID: policy.owner, tier: $0.tier, at: $0.at) })
        }
        let holds = Dictionary(try await vault.catalog.holds(owner: policy.owner).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for hold in policy.holds {
            var record = HoldRecord(id: hold.id, ownerID: policy.owner, takeID: hold.take, reason: hold.reason, setBy: hold.setBy, setAt: hold.setAt)
            record.liftedAt = hold.liftedAt
            record.liftedBy = hold.liftedBy
            if holds[hold.id] != record { try await vault.catalog.saveHold(record) }
        }
    }
}
