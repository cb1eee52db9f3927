import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Corrects a take's metadata (`takevault amend`, `PATCH /v1/takes/{take}`): a new manifest
/// generation with the corrected facts and the same artefacts — no audio is read or re-encoded, no
/// chunk written — committed create-only under the owner's exclusive lock, then the older
/// generations retired (they hold the inaccurate values) unless a hold covers the take, in which
/// case the sweep retires them once it is lifted. The audit records which fields changed, when and
/// by whom, never the old or new values. A restricted owner's takes may be corrected: accuracy is
/// what a restriction is often waiting on.
public struct TakeAmendment: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// What an amendment did.
    public struct Result: Sendable, Codable, Equatable {
        public var takeID: String
        public var owner: String
        /// The current generation afterwards (unchanged when nothing changed).
        public var generation: Int
        /// The fields whose value changed; empty when the correction matched what was there.
        public var changed: [String]
        /// Older generations kept because a hold covers the take.
        public var olderGenerationsKept: Bool

        enum CodingKeys: String, CodingKey {
            case takeID = "take_id", owner, generation, changed, olderGenerationsKept = "older_generations_kept"
        }
    }

    /// Applies `correction` to `take`. `by` names who asked. Lookup and scope as for deletion
    /// (``TakeDeletion/delete(takes:by:searchStore:permits:)``).
    public func amend(take: String, correction: MetadataCorrection, by actor: String, searchStore: Bool = true,
                      permits: (String) -> Bool = { _ in true }) async throws -> Result {
        let locator = ManifestLocator(vault: vault)
        let owner = try await locator.requestedOwner(of: take, searchStore: searchStore, permits: permits)
        return try await vault.withLock(.owner(owner), .exclusive) {
            guard let record = try await vault.catalog.owner(owner), record.erasedAt == nil,
                  let manifest = try await locator.newest(owner: owner, take: take) else { throw PipelineError.takeNotFound(take) }
            let body = manifest.body
            let current = TakeMetadata(sessionID: body.sessionID, participants: body.participants, recordedAt: body.recordedAt, dawTransport: body.dawTransport)
            let (corrected, changed) = correction.applied(to: current)
            guard !changed.isEmpty else {
                return Result(takeID: take, owner: owner, generation: manifest.header.generation, changed: [], olderGenerationsKept: false)
            }
            let generation = manifest.header.generation + 1
            var newBody = body
            newBody.sessionID = corrected.sessionID
            newBody.participants = corrected.participants
            newBody.recordedAt = corrected.recordedAt
            newBody.dawTransport = corrected.dawTransport
            newBody.generation = generation
            var header = manifest.header
            header.generation = generation
            let held = try await ProtectionTags(vault: vault).heldTakes(owner: owner)(take)
            let tags = ObjectTags(owner: owner, tier: header.tier, kind: .manifest, retainUntil: header.retainUntil, region: vault.region, held: held)
            let outcome = try await TakeCommit(vault: vault).commit(header: header, body: newBody, sealing: manifest.sealing, tags: tags,
                                                                      event: { _ in .amend(fields: changed, by: actor) })
            if case .alreadyCommitted(let existing) = outcome {
                // Under the owner's lock nothing else commits; a manifest there already is damage.
                throw ArchiveError.malformedObject(object: existing.name, detail: "a generation newer than the take's newest readable one is already stored")
            }
            let holds = try await vault.catalog.activeHolds(owner: owner)
            let keep = holds.contains { $0.takeID == nil || $0.takeID == take }
            if !keep { try await GenerationRetirement(vault: vault).retire(owner: owner, current: [take: generation]) }
            return Result(takeID: take, owner: owner, generation: generation, changed: changed, olderGenerationsKept: keep)
        }
    }
}
