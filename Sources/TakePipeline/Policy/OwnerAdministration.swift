import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The privacy policy's per-owner operations: tier changes, holds, restriction of processing,
/// erasure. Every change is an audit event.
public struct OwnerAdministration: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    func existingOwner(_ id: String) async throws -> OwnerRecord {
        try Identifier.validate(id, kind: "owner id")
        guard let owner = try await vault.catalog.owner(id) else { throw PipelineError.takeNotFound("owner \(id)") }
        return owner
    }

    func audit(_ event: AuditEvent, owner: String?, take: String? = nil) async throws {
        try await vault.catalog.append(event.record(at: Timestamp.string(vault.clock.now()), owner: owner, take: take))
    }

    // MARK: Tier

    /// Changes the owner's tier; recomputes every take's retain-until (``RetentionPolicy``'s rule),
    /// rewrites each take's manifest with the new header and re-tags its objects. Returns the takes
    /// with their new ends. The owner's policy object is stored first (``OwnerPolicyStore``): a
    /// change interrupted after it is finished by the next one, the next sweep or a rebuild.
    @discardableResult
    public func setTier(owner id: String, to tier: Tier) async throws -> [(take: String, retainUntil: String?)] {
        try await vault.withLock(.owner(id), .exclusive) {
            _ = try await existingOwner(id)
            let now = vault.clock.now()
            let policies = OwnerPolicyStore(vault: vault)
            let current = try await policies.reconcile(owner: id)
            var next = current.nextVersion()
            next.tier = tier
            next.tierHistory.append(.init(tier: tier, at: Timestamp.string(now)))
            try await policies.store(next)
            let changed = try await policies.redateTakes(owner: id, to: tier, changedAt: now)
            try await policies.applyToCatalog(next)
            try await audit(.tierChange(tier: tier, takes: changed.count), owner: id)
            return changed
        }
    }

    // MARK: Holds

    /// Places a hold on an owner (all their takes) or one take. Nothing it covers is deleted until
    /// it is lifted. Returns the hold's id.
    public func hold(owner id: String, take: String? = nil, reason: String, by actor: String) async throws -> String {
        try await vault.withLock(.owner(id), .exclusive) {
            _ = try await existingOwner(id)
            if let take {
                guard try await vault.catalog.take(take)?.ownerID == id else { throw PipelineError.takeNotFound(take) }
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw PipelineError.invalidMetadata("a hold needs a reason") }
            let holdID = "h_" + Array((0..<8).map { _ in UInt8.random(in: 0...255) }).hex
            let at = Timestamp.string(vault.clock.now())
            try await OwnerPolicyStore(vault: vault).change(owner: id) {
                $0.holds.append(.init(id: holdID, take: take, reason: reason, setBy: actor, setAt: at))
            }
            try await audit(.hold(id: holdID, by: actor), owner: id, take: take)
            try await ProtectionTags(vault: vault).apply(owner: id)
            return holdID
        }
    }

    /// Lifts holds: one by id, or every active hold of the owner (or of one take).
    public func liftHolds(owner id: String, take: String? = nil, holdID: String? = nil, by actor: String) async throws -> [String] {
        try await vault.withLock(.owner(id), .exclusive) {
            guard try await vault.catalog.owner(id) != nil else { return [] }
            try await OwnerPolicyStore(vault: vault).reconcile(owner: id)
            let at = Timestamp.string(vault.clock.now())
            let lifting = try await vault.catalog.activeHolds(owner: id).filter { hold in
                if let holdID { return hold.id == holdID }
                return hold.takeID == take
            }
            guard !lifting.isEmpty else { return [] }
            let ids = Set(lifting.map(\.id))
            try await OwnerPolicyStore(vault: vault).change(owner: id) { policy in
                for index in policy.holds.indices where ids.contains(policy.holds[index].id) && policy.holds[index].liftedAt == nil {
                    policy.holds[index].liftedAt = at
                    policy.holds[index].liftedBy = actor
                }
            }
            for hold in lifting {
                try await audit(.holdLifted(id: hold.id, by: actor), owner: id, take: hold.takeID)
            }
            let lifted = lifting.map(\.id)
            try await ProtectionTags(vault: vault).apply(owner: id)
            return lifted
        }
    }

    // MARK: Restriction

    /// Restricts (or lifts the restriction of) processing of the owner's data: no ingest, reprocess
    /// or export with audio; nothing of theirs is deleted by sweeps meanwhile. Relay jobs of the
    /// owner that were parked by the restriction are queued again when it is lifted.
    public func restrict(owner id: String, lift: Bool = false) async throws {
        try await vault.withLock(.owner(id), .exclusive) {
            _ = try await existingOwner(id)
            try await OwnerPolicyStore(vault: vault).change(owner: id) { $0.restricted = !lift }
            try await audit(lift ? .restrictionLifted : .restriction, owner: id)
            try await ProtectionTags(vault: vault).apply(owner: id)
            if lift { try await vault.catalog.resumeParkedJobs(owner: id, at: Timestamp.string(vault.clock.now())) }
        }
    }

    /// Whether the owner's processing is restricted now (an unknown owner is not).
    public func isRestricted(owner id: String) async throws -> Bool {
        try await vault.catalog.owner(id)?.restricted ?? false
    }
}
