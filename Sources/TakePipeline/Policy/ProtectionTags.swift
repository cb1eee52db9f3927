import ObjectStore
import TakeCatalog

/// Keeps the `held` tag of an owner's objects in step with their holds and restriction, so the S3
/// lifecycle backstop (`takevault lifecycle print`) never expires what the policy protects.
///
/// An object is held when its owner is restricted or under an owner-wide hold, or when any take
/// that uses it is under a take hold (chunks can be shared by takes of the same owner).
struct ProtectionTags {
    let vault: Vault

    /// Re-tags every object of `owner`'s takes whose `held` state differs from what the catalog
    /// now says; returns how many were re-tagged.
    @discardableResult
    func apply(owner id: String) async throws -> Int {
        guard try await vault.catalog.owner(id) != nil else { return 0 }
        let isHeld = try await heldTakes(owner: id)

        // Per object: held when any take that uses it is.
        var held: [String: Bool] = [:]
        for take in try await vault.catalog.takes(owner: id) {
            let takeHeld = isHeld(take.id)
            for object in try await vault.catalog.objects(ofTake: take.id) {
                held[object.objectName] = (held[object.objectName] ?? false) || takeHeld
            }
        }
        var changed = 0
        for (name, shouldHold) in held.sorted(by: { $0.key < $1.key }) {
            guard var tags = try await vault.store.head(name)?.tags, tags.held != shouldHold else { continue }
            tags.held = shouldHold
            try await vault.store.setTags(name, tags: tags)
            changed += 1
        }
        return changed
    }

    /// Whether a take of `owner` is protected now (by a take hold, an owner-wide hold or the
    /// owner's restriction); new takes are asked about with any id.
    func heldTakes(owner id: String) async throws -> @Sendable (String) -> Bool {
        let restricted = try await vault.catalog.owner(id)?.restricted ?? false
        let holds = try await vault.catalog.activeHolds(owner: id)
        let everything = restricted || holds.contains { $0.takeID == nil }
        let takes = Set(holds.compactMap(\.takeID))
        return { everything || takes.contains($0) }
    }
}
