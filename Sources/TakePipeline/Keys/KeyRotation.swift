import ObjectStore
import TakevaultCore
import TakeArchive
import TakeCatalog

/// Replaces the master key: a new key is written beside the old (`master.key.next`), owners a
/// deletion marked are re-keyed (``TakeKeyRekeying``), every owner key object is rewrapped under the
/// new master key, and only then does it replace `master.key` — the old key is gone, and with it
/// the ability to open any copy of an old key object. Interrupted, it resumes where it stopped:
/// until the last step both keys unwrap, so no owner is ever unreadable. Audio is never touched.
public struct KeyRotation: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Result: Sendable, Encodable {
        public var masterKeyID: String
        public var rewrapped: Int
        /// Owners re-keyed because a take of theirs was deleted (FORMAT.md §9).
        public var rekeyedOwners: Int
        /// Their take keys, rewrapped under the new owner key versions.
        public var takeKeysRewrapped: Int
        /// Owners due for a re-key whose re-key failed; they are tried again at the next rotation.
        public var rekeyFailed: [String]
        /// Take key objects that did not open during a re-key: already unreadable, left as they are.
        public var damagedTakeKeys: [String]
        enum CodingKeys: String, CodingKey {
            case masterKeyID = "master_key_id", rewrapped, rekeyedOwners = "rekeyed_owners", takeKeysRewrapped = "take_keys_rewrapped",
                 rekeyFailed = "rekey_failed", damagedTakeKeys = "damaged_take_keys"
        }
    }

    public func run() async throws -> Result {
        try await vault.withLock(.vault, .exclusive) {
            guard vault.masterKeyPath != nil else {
                throw PipelineError.invalidSetting(
                    name: "master key", value: "from the environment",
                    allowed: "rotation replaces the vault's key file; rotate an environment-supplied key where it is kept")
            }
            let keyPath = vault.root + "/master.key", nextPath = vault.root + "/master.key.next"
            let next: MasterKey
            if FileIO.exists(nextPath) {
                next = try MasterKey(fileContents: try FileIO.read(nextPath))    // resuming
            } else {
                // Written whole or not at all: a half-written next key would lock the vault.
                next = MasterKey.generate()
                try AtomicOutput.write(next.fileContents(), to: nextPath, mode: 0o600)
            }
            vault.masterKeys.replace(primary: next, others: [try MasterKeySource.read(keyPath)])
            Failpoint.reach(Failpoint.rotationKeyWritten)
            let rekeyed = try await TakeKeyRekeying(vault: vault).run()

            var rewrapped = 0
            for info in try await vault.store.list(prefix: ObjectNames.root) {
                guard case .key(let owner, let version) = ObjectNames.parse(info.name) else { continue }
                var object = try await vault.store.get(info.name, atMost: OwnerKey.largestKeyObjectSize)
                if OwnerKey.masterKeyID(ofKeyObject: object) != next.id {
                    let key = try vault.masterKeys.unwrap(object, owner: owner, objectName: info.name)
                    object = try key.wrapped(under: next)
                    guard let tags = try await vault.store.head(info.name)?.tags else { throw StoreError.notFound(info.name) }
                    try await vault.store.put(info.name, data: object, tags: tags, createOnly: false)
                    rewrapped += 1
                }
                // The catalog's copy follows the store's (also when an earlier run stopped between the two).
                if try await vault.catalog.ownerKeys(owner).first(where: { $0.version == version })?.wrapped != object, try await vault.catalog.owner(owner) != nil {
                    try await vault.catalog.replaceOwnerKey(OwnerKeyRecord(ownerID: owner, version: version, wrapped: object, masterKeyID: next.id.hex,
                                                                     createdAt: Timestamp.string(vault.clock.now())))
                }
            }
            Failpoint.reach(Failpoint.rotationRewrapped)
            guard rename(nextPath, keyPath) == 0 else { throw FileIO.error("replace the master key with", nextPath) }
            FileIO.syncDirectory(vault.root)
            vault.masterKeys.replace(primary: next, others: [])
            try await vault.catalog.append(AuditEvent.keyRotation(masterKeyID: next.id.hex, rewrapped: rewrapped).record(at: Timestamp.string(vault.clock.now())))
            return Result(masterKeyID: next.id.hex, rewrapped: rewrapped, rekeyedOwners: rekeyed.owners, takeKeysRewrapped: rekeyed.takeKeysRewrapped,
                          rekeyFailed: rekeyed.failed, damagedTakeKeys: rekeyed.damaged)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
