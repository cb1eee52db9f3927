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
        /// Owners whose re-key stopped (the store failed them, or their own key or policy does not
        /// open): they stay marked and are tried again at the next rotation; the master key
        /// rotation goes on for everyone.
        var failed: [String] = []
        /// Take key objects that did not open: already unreadable, left as they are (verify names
        /// them too). They do not stop the re-key: one damaged object must not keep a deleted
        /// take's wrapping key alive.
        var damaged: [String] = []
    }

    func run() async throws -> Outcome {
        var outcome = Outcome()
        let policies = OwnerPolicyStore(vault: vault)
        for owner in try await vault.catalog.owners() where owner.erasedAt == nil {
            // An owner being erased has no keys left: nothing of theirs to re-key.
            guard try await OwnerKeyring(vault: vault).currentKey(owner: owner.id) != nil else { continue }
            do {
                guard try await policies.current(owner: owner.id)?.rekeyDue == true else { continue }
                outcome.takeKeysRewrapped += try await rekey(owner: owner.id, tier: owner.tier, damaged: &outcome.damaged)
                try await policies.change(owner: owner.id) { $0.rekeyDue = nil }
                outcome.owners += 1
            } catch {
                Logger(label: "takevault.rotation").error("re-key failed; the owner stays due", metadata: [
                    "owner": "\(owner.id)", "error": "\(error)",
                ])
                outcome.failed.append(owner.id)
            }
        }
        return outcome
    }

    /// Re-keys one owner; returns how many take keys were rewrapped.
    ///
    /// Only the keys of takes that are there to keep are rewrapped: a key whose take has no
    /// manifest (an ingest that stopped before its commit, or a deleted take's key put back from
    /// an earlier copy), or whose take the catalog last recorded as deleted (a re-upload after the
    /// deletion records an ingest after it), is deleted instead — rewrapping it would make the
    /// earlier copy's take readable again.
    private func rekey(owner: String, tier: Tier, damaged: inout [String]) async throws -> Int {
        let keyring = OwnerKeyring(vault: vault)
        guard let current = try await keyring.currentKey(owner: owner) else { return 0 }
        let listed = try await vault.store.list(prefix: ObjectNames.takesPrefix(owner: owner))
        var withManifest = Set<String>()
        var takeKeys: [(name: String, take: String)] = []
        for info in listed {
            switch ObjectNames.parse(info.name) {
            case .manifest(_, let take, _): withManifest.insert(take)
            case .takeKey(_, let take): takeKeys.append((info.name, take))
            default: break
            }
        }
        let deleted = try await AuditEvent.deletedTakes(owner: owner, in: vault.catalog)
        var kept: [(name: String, take: String, object: [UInt8], version: Int)] = []
        var retired: [String] = []
        for key in takeKeys {
            guard withManifest.contains(key.take), !deleted.contains(key.take) else {
                retired.append(key.name)
                continue
            }
            let object = try await vault.store.get(key.name, atMost: TakeKey.objectSize)
            guard let version = TakeKey.ownerKeyVersion(of: object) else {
                damaged.append(key.name)
                continue
            }
            kept.append((key.name, key.take, object, version))
        }
        try await vault.store.delete(retired)

        // A run that stopped after making the new version left take keys under older ones: finish
        // with the version it made rather than making another.
        let resuming = current.takeWrapping != nil && kept.contains { $0.version < current.version }
        let target = resuming ? current : try await keyring.store(current.nextVersion(), tier: tier)

        var rewrapped = 0
        for key in kept where key.version != target.version {
            let takeKey: TakeKey
            do {
                takeKey = try TakeKey.unwrap(key.object, takeID: key.take, under: try await keyring.key(owner: owner, version: key.version), objectName: key.name)
            } catch let error as ReasonCoded where error.category == .integrity {
                damaged.append(key.name)
                continue
            }
            // Tags as stored, or a take key's own when its tags are unreadable.
            let stored = try? await vault.store.head(key.name)
            let tags = stored?.tags ?? ObjectTags(owner: owner, tier: tier, kind: .takeKey, retainUntil: nil, region: vault.region)
            try await vault.store.put(key.name, data: try takeKey.wrapped(under: target), tags: tags, createOnly: false)
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
