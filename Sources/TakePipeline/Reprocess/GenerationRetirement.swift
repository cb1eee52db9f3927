import ObjectStore
import TakeArchive
import TakeCatalog

/// Retires takes' superseded manifest generations: the old manifests first (readers already see
/// the newest one), then the chunks only they referenced. Chunks another manifest of the owner
/// still names — the master every generation shares, or a chunk deduplicated with another take —
/// stay. Interrupted anywhere, the next run (reprocess or sweep) finishes it: a manifest already
/// gone retires nothing twice, and chunks left unreferenced are orphans the sweep removes.
///
/// Run it where no other work of the same process is writing the owner's chunks (reprocess retires
/// after its takes are derived; the sweep runs alone): a chunk being deduplicated by a writer that
/// has not committed yet is referenced by no manifest.
struct GenerationRetirement {
    let vault: Vault

    /// What retiring would delete: the superseded manifests, and the chunks no other manifest of
    /// the owner references.
    struct Plan: Sendable, Equatable {
        var owner: String
        var manifests: [String] = []
        var chunks: [String] = []
        /// Per take, the generations retired.
        var generations: [String: [Int]] = [:]
    }

    /// The plan for retiring, for each of `owner`'s takes given, the generations older than the
    /// one given. One pass over the owner's manifests, however many takes. `alsoGone` (takes) and
    /// `alsoGoneManifests`: what will be deleted before this plan is applied (a sweep's expired
    /// takes, the retirements it planned earlier), whose manifests therefore protect no chunk.
    func plan(owner: String, current: [String: Int], alsoGone: Set<String> = [], alsoGoneManifests: Set<String> = []) async throws -> Plan {
        let locator = ManifestLocator(vault: vault)
        var plan = Plan(owner: owner)
        var candidates = Set<String>()
        for (take, generation) in current.sorted(by: { $0.key < $1.key }) {
            for manifest in try await locator.manifests(owner: owner, take: take) where manifest.generation < generation {
                let opened = try await locator.open(name: manifest.name, owner: owner)
                for artefact in opened.body.artefacts {
                    for chunk in artefact.chunks { candidates.insert(ObjectNames.chunk(owner: owner, id: chunk.id)) }
                }
                plan.manifests.append(manifest.name)
                plan.generations[take, default: []].append(manifest.generation)
            }
        }
        guard !plan.manifests.isEmpty else { return plan }
        let referenced = try await TakeDeleter(vault: vault).referencedChunks(owner: owner, excluding: Set(plan.manifests).union(alsoGoneManifests), excludingTakes: alsoGone)
        plan.chunks = candidates.subtracting(referenced).sorted()
        return plan
    }

    /// Deletes the superseded manifests, then the chunks only they used, with an audit event per take.
    @discardableResult
    func retire(owner: String, current: [String: Int]) async throws -> Plan {
        let plan = try await plan(owner: owner, current: current)
        try await apply(plan)
        return plan
    }

    /// Carries out `plan` exactly as computed.
    func apply(_ plan: Plan) async throws {
        guard !plan.manifests.isEmpty else { return }
        try await vault.store.delete(plan.manifests)
        try await vault.store.delete(plan.chunks)
        let now = Timestamp.string(vault.clock.now())
        for (take, generations) in plan.generations.sorted(by: { $0.key < $1.key }) {
            try await vault.catalog.append(AuditEvent.retireGenerations(generations).record(at: now, owner: plan.owner, take: take))
        }
    }

    /// Whether a hold covers `take` (an owner-wide hold covers all of the owner's takes).
    func isHeld(owner: String, take: String) async throws -> Bool {
        try await vault.catalog.activeHolds(owner: owner).contains { $0.takeID == nil || $0.takeID == take }
    }
}
