import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Gets takes back out for collaborators (the relay's delivery API, docs/RELAY.md): a take's
/// public summary and its artefacts, streamed chunk by chunk. Takes are found through the catalog
/// only — an id the catalog does not know is not looked for in the store, so a request for an
/// unknown take costs one index lookup — and a take whose owner the caller may not see is reported
/// exactly as a take that does not exist.
public struct TakeDelivery: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Opens `take`'s current manifest if its owner passes `permits`. Unknown takes, takes of owners
    /// outside `permits` and takes of erased owners all throw ``PipelineError/takeNotFound(_:)``.
    public func open(take: String, permits: (String) -> Bool) async throws -> DeliverableTake {
        guard Identifier.isValid(take), let record = try await vault.catalog.take(take), permits(record.ownerID),
              let owner = try await vault.catalog.owner(record.ownerID), owner.erasedAt == nil else {
            throw PipelineError.takeNotFound(String(take.prefix(64)))
        }
        // A long-running server's key ring goes stale when a rotation or an erasure (which rotates)
        // replaces the master key file; delivery takes no lock, so it reads the files again here.
        try vault.reloadMasterKeys()
        let manifest: OpenedManifest
        do {
            manifest = try await ManifestLocator(vault: vault).openReadingKeyAlongside(name: record.manifestName, owner: record.ownerID)
        } catch StoreError.notFound {
            // Deleted or swept since the catalog was read: gone, as far as a reader can tell.
            throw PipelineError.takeNotFound(take)
        }
        return DeliverableTake(manifest: manifest, ownerRestricted: owner.restricted)
    }

    /// Throws ``PipelineError/ownerRestricted(_:)`` when `owner`'s processing has been restricted
    /// since a transfer began, ``PipelineError/ownerErased(_:)`` when they have been erased: a
    /// transfer under way asks before each chunk, so it ends within a chunk of either.
    public func checkStillDeliverable(owner: String) async throws {
        guard let record = try await vault.catalog.owner(owner), record.erasedAt == nil else { throw PipelineError.ownerErased(owner) }
        guard !record.restricted else { throw PipelineError.ownerRestricted(owner) }
    }

    /// A session's takes (in scope), oldest first, `limit` at a time after `cursor`.
    public func sessionTakes(owner: String, session: String, after cursor: SessionCursor?, limit: Int) async throws -> SessionPage {
        let records = try await vault.catalog.sessionTakes(owner: owner, session: session,
                                                          after: cursor.map { ($0.ingestedAt, $0.takeID) }, limit: limit + 1)
        let page = records.prefix(limit)
        let next = records.count > limit ? page.last.map { SessionCursor(owner: owner, session: session, ingestedAt: $0.ingestedAt, takeID: $0.id) } : nil
        return SessionPage(owner: owner, session: session, takes: page.map(TakeSummary.init), next: next)
    }
}

/// A take opened for delivery: its summary and its artefacts.
public struct DeliverableTake: Sendable {
    let manifest: OpenedManifest
    /// Whether the owner's processing is restricted: artefacts are not delivered (docs/RELAY.md).
    public let ownerRestricted: Bool

    /// What a collaborator's service may know of the take.
    public var summary: DeliveredTakeSummary { DeliveredTakeSummary(manifest, restricted: ownerRestricted) }

    public var owner: String { manifest.header.owner }

    /// Artefact `kind`, ready to stream; ``PipelineError/artefactNotFound(take:kind:)`` if the take has none.
    public func artefact(_ kind: ArtefactKind) throws -> DeliverableArtefact {
        guard let artefact = manifest.body.artefact(kind) else { throw PipelineError.artefactNotFound(take: manifest.header.takeID, kind: kind) }
        return try DeliverableArtefact(artefact, manifestName: manifest.name, owner: manifest.header.owner, sealer: manifest.sealing.chunkSealer)
    }
}

/// Where a session listing goes on: after the take with this ingest time and id, in this owner's
/// session — a cursor from one listing is refused by another.
public struct SessionCursor: Sendable, Equatable {
    public var owner: String
    public var session: String
    public var ingestedAt: String
    public var takeID: String

    public init(owner: String, session: String, ingestedAt: String, takeID: String) {
        self.owner = owner
        self.session = session
        self.ingestedAt = ingestedAt
        self.takeID = takeID
    }

    /// The opaque form a client passes back: hex of the four, `/`-separated.
    public var token: String { Array([owner, session, ingestedAt, takeID].joined(separator: "/").utf8).hex }

    /// Parses a token; `nil` if it is not one this server made (ids must be ids and the ingest
    /// time a timestamp, so nothing else reaches the query).
    public init?(token: String) {
        guard token.utf8.count <= 512, let bytes = [UInt8](hex: token) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, Identifier.isValid(parts[0]), Identifier.isValid(parts[1]), Timestamp.date(parts[2]) != nil,
              Identifier.isValid(parts[3]) else { return nil }
        owner = parts[0]
        session = parts[1]
        ingestedAt = parts[2]
        takeID = parts[3]
    }
}

/// One page of a session's takes.
public struct SessionPage: Sendable, Codable {
    public var owner: String
    public var session: String
    public var takes: [TakeSummary]
    /// Pass as `after` for the next page; absent on the last.
    public var next: String?

    init(owner: String, session: String, takes: [TakeSummary], next: SessionCursor?) {
        self.owner = owner
        self.session = session
        self.takes = takes
        self.next = next?.token
    }
}
