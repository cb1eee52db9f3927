import Logging
import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Re-keys the owners a deletion marked (`rekey_due` in their policy, FORMAT.md §9): a new owner
/// key version with the same stable key and a fresh take-wrapping key, every remaining take key
/// rewrapped under it, and the take-wrapping key dropped from every older version's key object.
/// Run by ``KeyRotation`` before it replaces the master key: after both, no earlier copy of the
/// store opens a deleted take's key — the wrapping key it was sealed under exists nowhere, and the
/// only copies of it are sealed under a master key that exists nowhere either.
///
/// Resumable: a run that stopped part-way has left some take keys under the new version and some
/// under an older one, all of which still open; the next run finishes with the newest version and
/// clears the mark only at the end. The caller holds the vault exclusively.
struct TakeKeyRekeying {
    let vault: Vault

    struct Outcome {
        var owners = 0
        var takeKeysRewrapped = 0
        /// Owners whose re-key failed (a key or policy object that does not open): they stay marked
        /// and are tried again at the next rotation; the master key rotation goes on for everyone.
        var failed: [String] = []
    }

    func run() async throws -> Outcome {
        var outcome = Outcome()
        let policies = OwnerPolicyStore(vault: vault)
        for owner in try await vault.catalog.owners() where owner.erasedAt == nil {
            // An owner being erased has no keys left: nothing of theirs to re-key.
            guard try await OwnerKeyring(vault: vault).currentKey(owner: owner.id) != nil else { continue }
            do {
                guard try await policies.current(owner: owner.id)?.rekeyDue == true else { continue }
                outcome.takeKeysRewrapped += try await rekey(owner: owner.id, tier: owner.tier)
                try await policies.change(owner: owner.id) { $0.rekeyDue = nil }
                outcome.owners += 1
            } catch let error as ReasonCoded {
                Logger(label: "takevault.rotation").error("re-key failed; the owner stays due", metadata: [
                    "owner": "\(owner.id)", "code": "\(error.code)", "detail": "\(error.message)",
                ])
                outcome.failed.append(owner.id)
            }
        }
        return outcome
    }

    /// Re-keys one owner; returns how many take keys were rewrapped.
    private func rekey(owner: String, tier: Tier) async throws -> Int {
        let keyring = OwnerKeyring(vault: vault)
        guard let current = try await keyring.currentKey(owner: owner) else { return 0 }
        let takeKeys = try await vault.store.list(prefix: ObjectNames.takesPrefix(owner: owner)).filter {
            if case .takeKey = ObjectNames.parse($0.name) { true } else { false }
        }
        var wrappedUnder: [String: Int] = [:]
        for info in takeKeys {
            let object = try await vault.store.get(info.name, atMost: TakeKey.objectSize)
            guard let version = TakeKey.ownerKeyVersion(of: object) else {
                throw ArchiveError.malformedObject(object: info.name, detail: "not a \(TakeKey.objectSize)-byte TVT1 take key object")
            }
            wrappedUnder[info.name] = version
        }
        // A run that stopped after making the new version left take keys under older ones: finish
        // with the version it made rather than making another.
        let resuming = current.takeWrapping != nil && wrappedUnder.values.contains { $0 < current.version }
        let target = resuming ? current : try await keyring.store(current.nextVersion(), tier: tier)

        var rewrapped = 0
        for info in takeKeys where wrappedUnder[info.name] != target.version {
            guard case .takeKey(_, let take) = ObjectNames.parse(info.name), let version = wrappedUnder[info.name] else { continue }
            let object = try await vault.store.get(info.name, atMost: TakeKey.objectSize)
            let key = try TakeKey.unwrap(object, takeID: take, under: try await keyring.key(owner: owner, version: version), objectName: info.name)
            guard let tags = try await vault.store.head(info.name)?.tags else { continue }   // deleted meanwhile
            try await vault.store.put(info.name, data: try key.wrapped(under: target), tags: tags, createOnly: false)
            rewrapped += 1
        }
        Failpoint.reach(Failpoint.rekeyRewrapped)

        // Older versions keep the stable key (takes from before per-take keys, and policy objects,
        // name them) and lose the take-wrapping key.
        for version in 1..<target.version {
            let name = ObjectNames.keyObject(owner: owner, version: version)
            guard let info = try await vault.store.head(name) else { continue }
            let old = try await keyring.key(owner: owner, version: version)
            guard old.takeWrapping != nil else { continue }
            let stripped = try OwnerKey(owner: owner, version: version, material: old.material).wrapped(under: vault.masterKey)
            try await vault.store.put(name, data: stripped, tags: info.tags, createOnly: false)
            try await vault.catalog.replaceOwnerKey(OwnerKeyRecord(ownerID: owner, version: version, wrapped: stripped, masterKeyID: vault.masterKey.id.hex,
                                                                   createdAt: Timestamp.string(vault.clock.now())))
        }
        return rewrapped
    }
}
