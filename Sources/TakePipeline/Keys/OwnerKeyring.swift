import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Finds and creates owners' data keys. The catalog holds a copy of each wrapped key; the key
/// object in the store is the truth (the catalog can be rebuilt from it).
public struct OwnerKeyring: Sendable {
    let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// The owner's current (highest-version) key, or `nil` if they have none.
    public func currentKey(owner: String) async throws -> OwnerKey? {
        try Identifier.validate(owner, kind: "owner id")
        if let record = try await vault.catalog.ownerKeys(owner).last {
            return try await key(owner: owner, version: record.version)
        }
        let objects = try await vault.store.list(prefix: ObjectNames.keysPrefix(owner: owner))
        let versions = objects.compactMap { info -> Int? in
            if case .key(_, let version) = ObjectNames.parse(info.name) { return version }
            return nil
        }
        guard let latest = versions.max() else { return nil }
        return try await key(owner: owner, version: latest)
    }

    /// A specific version of the owner's key, from the catalog's copy or, when that copy is missing
    /// or wrapped under a master key the vault no longer has, from the store's key object.
    public func key(owner: String, version: Int) async throws -> OwnerKey {
        let name = ObjectNames.keyObject(owner: owner, version: version)
        if let record = try await vault.catalog.ownerKeys(owner).first(where: { $0.version == version }),
           let id = OwnerKey.masterKeyID(ofKeyObject: record.wrapped), vault.masterKeys.key(id: id) != nil {
            return try vault.masterKeys.unwrap(record.wrapped, owner: owner, objectName: name)
        }
        let object: [UInt8]
        do { object = try await vault.store.get(name, atMost: OwnerKey.largestKeyObjectSize) } catch StoreError.notFound {
            throw ArchiveError.authenticationFailed(object: name)
        }
        return try vault.masterKeys.unwrap(object, owner: owner, objectName: name)
    }

    /// The owner's current key, creating the owner (with `tier`) and their first key if needed. The
    /// key returned has a take-wrapping key: an owner whose current key is a format-1 key (from
    /// before per-take keys) gets the next version, with the same stable key, first.
    public func currentOrNewKey(owner: String, tier: Tier) async throws -> OwnerKey {
        if let existing = try await currentKey(owner: owner) {
            try await vault.catalog.ensureOwner(OwnerRecord(id: owner, tier: tier, createdAt: Timestamp.string(vault.clock.now())))
            guard existing.takeWrapping == nil else { return existing }
            return try await store(existing.nextVersion(), tier: tier)
        }
        try await MasterKeyCurrency(vault: vault).checkWritable()
        let key = try OwnerKey.generate(owner: owner, version: 1)
        let name = ObjectNames.keyObject(owner: owner, version: 1)
        let wrapped = try key.wrapped(under: vault.masterKey)
        let created = Timestamp.string(vault.clock.now())
        var stored = wrapped
        do {
            try await vault.store.put(name, data: wrapped, tags: ObjectTags(owner: owner, tier: tier, kind: .ownerKey, retainUntil: nil, region: vault.region), createOnly: true)
        } catch StoreError.alreadyExists {
            // Another ingest created it first: use theirs.
            stored = try await vault.store.get(name, atMost: OwnerKey.largestKeyObjectSize)
        }
        let winner = try vault.masterKeys.unwrap(stored, owner: owner, objectName: name)
        try await OwnerPolicyStore(vault: vault).storeFirst(owner: owner, tier: tier, at: created, key: winner)
        if try await vault.catalog.owner(owner) == nil {
            try await vault.catalog.ensureOwner(OwnerRecord(id: owner, tier: tier, createdAt: created))
            try await vault.catalog.appendTierChange(TierChangeRecord(ownerID: owner, tier: tier, at: created))
        }
        try await vault.catalog.insertOwnerKey(OwnerKeyRecord(ownerID: owner, version: 1, wrapped: stored, masterKeyID: vault.masterKey.id.hex, createdAt: created))
        return winner
    }

    /// Stores `key` (a version after the owner's first) create-only, or — when another process stored
    /// that version first — takes theirs; records it in the catalog.
    func store(_ key: OwnerKey, tier: Tier) async throws -> OwnerKey {
        let name = ObjectNames.keyObject(owner: key.owner, version: key.version)
        try await MasterKeyCurrency(vault: vault).checkWritable()
        var stored = try key.wrapped(under: vault.masterKey)
        do {
            try await vault.store.put(name, data: stored, tags: ObjectTags(owner: key.owner, tier: tier, kind: .ownerKey, retainUntil: nil, region: vault.region),
                                      createOnly: true)
        } catch StoreError.alreadyExists {
            stored = try await vault.store.get(name, atMost: OwnerKey.largestKeyObjectSize)
        }
        let winner = try vault.masterKeys.unwrap(stored, owner: key.owner, objectName: name)
        try await vault.catalog.insertOwnerKey(OwnerKeyRecord(ownerID: key.owner, version: key.version, wrapped: stored,
                                                              masterKeyID: OwnerKey.masterKeyID(ofKeyObject: stored)?.hex ?? "",
                                                              createdAt: Timestamp.string(vault.clock.now())))
        return winner
    }
}
