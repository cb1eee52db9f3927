import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Finds takes' manifests in the store (the truth) and opens them.
struct ManifestLocator: Sendable {
    let vault: Vault

    /// Names of every manifest of `take` (all generations), highest generation last.
    func manifests(owner: String, take: String) async throws -> [(name: String, generation: Int)] {
        let objects = try await vault.store.list(prefix: ObjectNames.takePrefix(owner: owner, take: take))
        return objects.compactMap { info -> (String, Int)? in
            if case .manifest(_, _, let generation) = ObjectNames.parse(info.name) { return (info.name, generation) }
            return nil
        }.sorted { $0.1 < $1.1 }
    }

    /// The owner of `take`, from the catalog or, failing that, by looking in the store.
    func owner(of take: String) async throws -> String {
        try Identifier.validate(take, kind: "take id")
        if let record = try await vault.catalog.take(take) { return record.ownerID }
        let owners = Set(try await vault.store.list(prefix: ObjectNames.root).compactMap { info -> String? in
            if case .manifest(let owner, let id, _) = ObjectNames.parse(info.name), id == take { return owner }
            return nil
        })
        guard let owner = owners.first else { throw PipelineError.takeNotFound(take) }
        return owner
    }

    /// The owner of a take someone asked for by id: from the catalog, or — when `searchStore`
    /// (an operator's command; never a relay's request, which must not list the store) — from the
    /// store. A malformed id, an unknown take and a take whose owner `permits` refuses are all
    /// ``PipelineError/takeNotFound(_:)``.
    func requestedOwner(of take: String, searchStore: Bool, permits: (String) -> Bool) async throws -> String {
        guard Identifier.isValid(take) else { throw PipelineError.takeNotFound(String(take.prefix(64))) }
        let owner: String
        if let record = try await vault.catalog.take(take) { owner = record.ownerID } else if searchStore {
            owner = try await self.owner(of: take)
        } else { throw PipelineError.takeNotFound(take) }
        guard permits(owner) else { throw PipelineError.takeNotFound(take) }
        return owner
    }

    /// The newest manifest of `owner`'s `take` in the store, opened; `nil` when it has none.
    func newest(owner: String, take: String) async throws -> OpenedManifest? {
        guard let latest = try await manifests(owner: owner, take: take).last else { return nil }
        return try await open(name: latest.name, owner: owner)
    }

    /// The current (highest-generation) manifest of `take`, opened.
    func current(take: String) async throws -> OpenedManifest {
        guard let manifest = try await newest(owner: try await owner(of: take), take: take) else { throw PipelineError.takeNotFound(take) }
        return manifest
    }

    func open(name: String, owner: String) async throws -> OpenedManifest {
        let object = try await vault.store.get(name, atMost: ManifestSealer.maximumSize)
        let sealing = try await sealing(of: ManifestSealer.readHeader(object, objectName: name), name: name, owner: owner)
        return try Self.opened(object, name: name, under: sealing)
    }

    /// Opens manifest `name` as ``open(name:owner:)`` does, reading its take's key object while the
    /// manifest is read rather than after it: one store round trip instead of two before a take's
    /// first byte can be delivered. A take from before per-take keys has no key object; that read
    /// comes back empty and the owner key opens the manifest.
    func openReadingKeyAlongside(name: String, owner: String) async throws -> OpenedManifest {
        guard let parsed = ManifestSealer.Name(objectName: name) else { return try await open(name: name, owner: owner) }
        let keys = TakeKeyStore(vault: vault)
        // A failed read here is not the answer: the ordinary path below reads the key again.
        async let takeKey = try? await keys.storedKeyObject(owner: owner, take: parsed.takeID)
        let object = try await vault.store.get(name, atMost: ManifestSealer.maximumSize)
        let header = try ManifestSealer.readHeader(object, objectName: name)
        let sealing: TakeSealing
        if header.format >= ManifestSealer.takeKeyFormat, let keyObject = await takeKey {
            sealing = try await keys.key(owner: owner, take: parsed.takeID, read: keyObject)
        } else {
            sealing = try await self.sealing(of: header, name: name, owner: owner)
        }
        return try Self.opened(object, name: name, under: sealing)
    }

    /// Manifest object `object`, stored as `name`, authenticated and decoded under `sealing`.
    private static func opened(_ object: [UInt8], name: String, under sealing: TakeSealing) throws -> OpenedManifest {
        let opened = try sealing.open(object, objectName: name)
        return OpenedManifest(name: name, header: opened.header, body: opened.body, sealing: sealing, objectBytes: Int64(object.count))
    }

    /// The keys the manifest stored as `name` opens under: its take's own key for format 3 (the
    /// take named by the object's name, which is what the manifest is authenticated against), the
    /// owner data key version its header names before that.
    func sealing(of header: ManifestHeader, name: String, owner: String) async throws -> TakeSealing {
        guard header.format >= ManifestSealer.takeKeyFormat else {
            return .ownerKey(try await OwnerKeyring(vault: vault).key(owner: owner, version: header.keyVersion))
        }
        guard let parsed = ManifestSealer.Name(objectName: name) else {
            throw ArchiveError.malformedObject(object: name, detail: "not a manifest's object name")
        }
        return try await TakeKeyStore(vault: vault).key(owner: owner, take: parsed.takeID)
    }
}

/// A manifest read and authenticated, with the keys that opened it (and open its chunks).
struct OpenedManifest: Sendable {
    var name: String
    var header: ManifestHeader
    var body: ManifestBody
    var sealing: TakeSealing
    var objectBytes: Int64
}
