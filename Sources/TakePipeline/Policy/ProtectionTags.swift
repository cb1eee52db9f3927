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
        guard try vault.catalog.owner(id) != nil else { return 0 }
        let isHeld = try heldTakes(owner: id)

        // Per object: whether held, and the longest retention of the takes that use it.
        var desired: [String: ObjectTags] = [:]
        for take in try vault.catalog.takes(owner: id) {
            let held = isHeld(take.id)
            for object in try vault.catalog.objects(ofTake: take.id) {
                var tags = ObjectTags(owner: id, tier: take.tier, kind: object.kind, retainUntil: take.retainUntil, region: vault.region, held: held)
                if let other = desired[object.objectName] {
                    tags.held = tags.held || other.held
                    if ArtefactWriter.later(other.retainUntil, than: tags.retainUntil) { tags.retainUntil = other.retainUntil }
                }
                desired[object.objectName] = tags
            }
        }
        var changed = 0
        for (name, tags) in desired.sorted(by: { $0.key < $1.key }) {
            guard let current = try await vault.store.head(name)?.tags, current.held != tags.held else { continue }
            var updated = current
            updated.held = tags.held
            try await vault.store.setTags(name, tags: updated)
            changed += 1
        }
        return changed
    }

    /// Whether a take of `owner` is protected now (by a take hold, an owner-wide hold or the
    /// owner's restriction); new takes are asked about with any id.
    func heldTakes(owner id: String) throws -> @Sendable (String) -> Bool {
        let restricted = try vault.catalog.owner(id)?.restricted ?? false
        let holds = try vault.catalog.activeHolds(owner: id)
        let everything = restricted || holds.contains { $0.takeID == nil }
        let takes = Set(holds.compactMap(\.takeID))
        return { everything || takes.contains($0) }
    }
}
