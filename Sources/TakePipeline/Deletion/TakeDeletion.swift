import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Deletes takes before their window ends, at the request of the user, the service or an operator
/// (`takevault delete`, `DELETE /v1/takes/{take}`, `DELETE /v1/sessions/{session}`): each owner's
/// takes under that owner's exclusive lock, in the sweep's crash-safe order (manifests first, then
/// the chunks no other manifest of the owner needs, then the catalog rows), with an audit event
/// saying who asked — and nothing of what the takes held. Refused while a hold covers a take.
/// A restricted owner's takes are deleted: restriction limits processing, not erasure.
public struct TakeDeletion: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// What one owner's part of a deletion removed.
    public struct Result: Sendable, Codable, Equatable {
        public var owner: String
        public var takes: [String]
        public var objectsDeleted: Int
        public var bytesFreed: Int64

        enum CodingKeys: String, CodingKey { case owner, takes, objectsDeleted = "objects_deleted", bytesFreed = "bytes_freed" }
    }

    /// Deletes `takes`, owner by owner. `by` names who asked (an operator, a relay's key id).
    /// A take the catalog does not know is looked for in the store only when `searchStore` (an
    /// operator's command may; a relay's request may not list the store). A take whose owner
    /// `permits` refuses, or that does not exist, is ``PipelineError/takeNotFound(_:)``; nothing
    /// is deleted when any requested take is missing or held at the time its owner is locked —
    /// and every owner is checked once before any is locked, so a request naming a held take of
    /// another owner fails before it deletes anything.
    public func delete(takes requested: [String], by actor: String, searchStore: Bool = true,
                       permits: (String) -> Bool = { _ in true }) async throws -> [Result] {
        var byOwner: [String: [String]] = [:]
        let locator = ManifestLocator(vault: vault)
        for take in Set(requested) {
            byOwner[try await locator.requestedOwner(of: take, searchStore: searchStore, permits: permits), default: []].append(take)
        }
        for (owner, takes) in byOwner { try await checkHolds(owner: owner, takes: takes) }
        var results: [Result] = []
        for (owner, takes) in byOwner.sorted(by: { $0.key < $1.key }) {
            results.append(try await vault.withLock(.owner(owner), .exclusive) {
                try await prepare(owner: owner)
                // A take the catalog still lists without a manifest is one whose deletion stopped
                // part-way: deleting it again finishes the job.
                for take in takes where try await locator.manifests(owner: owner, take: take).isEmpty {
                    guard try await vault.catalog.take(take)?.ownerID == owner else { throw PipelineError.takeNotFound(take) }
                }
                return try await deleteLocked(owner: owner, takes: takes.sorted(), by: actor)
            })
        }
        return results
    }

    /// Deletes every take of `owner`'s `session` — those the store holds, whether or not the
    /// catalog has caught up with them. ``PipelineError/sessionNotFound(owner:session:)`` if it has none.
    public func delete(session: String, owner: String, by actor: String) async throws -> Result {
        guard Identifier.isValid(owner), Identifier.isValid(session) else {
            throw PipelineError.sessionNotFound(owner: String(owner.prefix(64)), session: String(session.prefix(64)))
        }
        return try await vault.withLock(.owner(owner), .exclusive) {
            try await prepare(owner: owner)
            var takes: [String] = []
            var after: (ingestedAt: String, takeID: String)?
            while true {
                let page = try await vault.catalog.sessionTakes(owner: owner, session: session, after: after, limit: 500)
                takes += page.map(\.id)
                guard let last = page.last, page.count == 500 else { break }
                after = (last.ingestedAt, last.id)
            }
            guard !takes.isEmpty else { throw PipelineError.sessionNotFound(owner: owner, session: session) }
            return try await deleteLocked(owner: owner, takes: takes, by: actor)
        }
    }

    /// The owners with takes in a session called `session` (sessions belong to owners: two may share a name).
    public func owners(ofSession session: String) async throws -> [String] {
        guard Identifier.isValid(session) else { return [] }
        return Set(try await vault.catalog.takes().filter { $0.sessionID == session }.map(\.ownerID)).sorted()
    }

    /// Inside the owner's lock: the owner must exist and not be erased; their policy and the
    /// catalog are brought in step with the store (a hold stored but not yet indexed still
    /// counts; a take committed but not yet indexed is found).
    private func prepare(owner: String) async throws {
        guard let record = try await vault.catalog.owner(owner), record.erasedAt == nil else { throw PipelineError.ownerErased(owner) }
        try await OwnerPolicyStore(vault: vault).reconcile(owner: owner)
        try await Sweep(vault: vault).catchUpCatalog(owner: owner, objects: try await vault.store.list(prefix: ObjectNames.takesPrefix(owner: owner)))
    }

    /// Refuses if an active hold covers the owner or one of `takes`.
    private func checkHolds(owner: String, takes: [String]) async throws {
        let holds = try await vault.catalog.activeHolds(owner: owner)
        if let hold = holds.first(where: { $0.takeID == nil }) {
            throw PipelineError.ownerHeld(owner: owner, reason: hold.reason, hold: hold.id)
        }
        let requested = Set(takes)
        if let hold = holds.first(where: { $0.takeID.map(requested.contains) ?? false }), let take = hold.takeID {
            throw PipelineError.takeHeld(take: take, reason: hold.reason, hold: hold.id)
        }
    }

    private func deleteLocked(owner: String, takes: [String], by actor: String) async throws -> Result {
        try await checkHolds(owner: owner, takes: takes)
        Failpoint.reach(Failpoint.deletionLocked)
        let outcome = try await TakeDeleter(vault: vault).delete(takes: takes, owner: owner, reason: "deleted_on_request")
        try await vault.catalog.append(AuditEvent.deletionRequested(by: actor, takes: takes.count).record(at: Timestamp.string(vault.clock.now()), owner: owner))
        return Result(owner: owner, takes: takes, objectsDeleted: outcome.objects.count, bytesFreed: outcome.bytes)
    }
}
