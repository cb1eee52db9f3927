import ObjectStore
import TakeArchive
import TakevaultCore

/// Reads and creates takes' own data keys (format 3, FORMAT.md §9). The key object
/// `v1/owners/<owner>/takes/<take>/key` is the only copy: deleting it shreds the take.
struct TakeKeyStore: Sendable {
    let vault: Vault

    /// The key of `owner`'s `take`, opened with the owner key version its object names, which
    /// `ownerKey` looks up (by default the owner's keyring). A missing object is
    /// ``ArchiveError/malformedObject(object:detail:)`` "missing from the store": the store is
    /// damaged (a deletion removes the key after the manifests).
    func key(owner: String, take: String, ownerKey: ((Int) async throws -> OwnerKey)? = nil) async throws -> TakeSealing {
        let name = ObjectNames.takeKey(owner: owner, take: take)
        guard let object = try await stored(name) else { throw ArchiveError.malformedObject(object: name, detail: "missing from the store") }
        return try await key(owner: owner, take: take, read: object, ownerKey: ownerKey)
    }

    /// The stored key object of `owner`'s `take` as it is, unopened; `nil` when there is none.
    func storedKeyObject(owner: String, take: String) async throws -> [UInt8]? {
        try await stored(ObjectNames.takeKey(owner: owner, take: take))
    }

    /// Opens key object `object`, already read from the store, as ``key(owner:take:ownerKey:)`` does.
    func key(owner: String, take: String, read object: [UInt8], ownerKey: ((Int) async throws -> OwnerKey)? = nil) async throws -> TakeSealing {
        let name = ObjectNames.takeKey(owner: owner, take: take)
        do {
            return try await open(object, owner: owner, take: take, objectName: name, ownerKey: ownerKey)
        } catch let error as ArchiveError where error.category == .integrity {
            // A re-key in another process may have rewrapped the object and retired the version
            // read a moment ago: read it once more before calling it damaged.
            guard let again = try await stored(name), again != object else { throw error }
            return try await open(again, owner: owner, take: take, objectName: name, ownerKey: ownerKey)
        }
    }

    /// The sealing of a take whose first generation is being written now: its stored key if an
    /// earlier attempt (or a concurrent ingest of the same upload) made one, else a new key wrapped
    /// under `ownerKey` and put create-only before any chunk — of two racing writers, both end up
    /// with the one that was stored first.
    func keyOrNew(owner ownerKey: OwnerKey, take: String, tags: ObjectTags) async throws -> TakeSealing {
        let name = ObjectNames.takeKey(owner: ownerKey.owner, take: take)
        if let stored = try await stored(name) { return try await open(stored, owner: ownerKey.owner, take: take, objectName: name) }
        let key = try TakeKey.generate(owner: ownerKey.owner, takeID: take)
        var keyTags = tags
        keyTags.kind = .takeKey
        keyTags.retainUntil = nil
        do {
            try await vault.store.put(name, data: try key.wrapped(under: ownerKey), tags: keyTags, createOnly: true)
        } catch StoreError.alreadyExists {
            guard let stored = try await stored(name) else { throw ArchiveError.malformedObject(object: name, detail: "missing from the store") }
            return try await open(stored, owner: ownerKey.owner, take: take, objectName: name)
        }
        return .takeKey(key, ownerKeyVersion: ownerKey.version)
    }

    private func stored(_ name: String) async throws -> [UInt8]? {
        do { return try await vault.store.get(name, atMost: TakeKey.objectSize) } catch StoreError.notFound { return nil }
    }

    private func open(_ object: [UInt8], owner: String, take: String, objectName: String,
                      ownerKey lookup: ((Int) async throws -> OwnerKey)? = nil) async throws -> TakeSealing {
        guard let version = TakeKey.ownerKeyVersion(of: object) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a \(TakeKey.objectSize)-byte TVT1 take key object")
        }
        let ownerKey: OwnerKey
        if let lookup { ownerKey = try await lookup(version) } else { ownerKey = try await OwnerKeyring(vault: vault).key(owner: owner, version: version) }
        return .takeKey(try TakeKey.unwrap(object, takeID: take, under: ownerKey, objectName: objectName), ownerKeyVersion: version)
    }
}
