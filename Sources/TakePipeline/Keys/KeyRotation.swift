import ObjectStore
import TakevaultCore
import TakeArchive
import TakeCatalog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces the master key: a new key is written beside the old (`master.key.next`), the catalog
/// records it as the vault's current key (so a node still holding only the old one refuses to
/// wrap: ``MasterKeyCurrency``), owners a deletion marked are re-keyed (``TakeKeyRekeying``),
/// every owner key object and staged upload's seal is rewrapped under the new master key, and only
/// then does it replace `master.key` — the old key is gone, and with it the ability to open any
/// copy of an old key object. Interrupted, it resumes where it stopped: until the last step both
/// keys unwrap, so no owner is ever unreadable. Audio is never touched.
///
/// Nodes of a shared vault read the key from their own `TAKEVAULT_MASTER_KEY_FILE`: the operator
/// puts the next key at `FILE.next` on every node first (`takevault keys generate`), rotates on
/// one node, then replaces `FILE` with `FILE.next` on every node (docs/SCALING.md).
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
        /// Staged uploads' seals rewrapped under the new master key.
        public var stagedUploadsRewrapped: Int
        /// Seals of staged uploads that did not open under any key this ring holds: left as they
        /// are, for their job to fail on (their upload is unreadable once the old key is retired).
        public var damagedStagedUploads: [String]
        enum CodingKeys: String, CodingKey {
            case masterKeyID = "master_key_id", rewrapped, rekeyedOwners = "rekeyed_owners", takeKeysRewrapped = "take_keys_rewrapped",
                 rekeyFailed = "rekey_failed", damagedTakeKeys = "damaged_take_keys", stagedUploadsRewrapped = "staged_uploads_rewrapped",
                 damagedStagedUploads = "damaged_staged_uploads"
        }
    }

    public func run() async throws -> Result {
        try await vault.withLock(.vault, .exclusive) {
            let keyPath: String, nextPath: String
            if vault.masterKeyPath != nil {
                (keyPath, nextPath) = (vault.root + "/master.key", vault.root + "/master.key.next")
            } else if let file = vault.environmentKeyFile {
                // A node's own copy of the vault's key: every node needs the next key before any
                // wraps under it, so this node does not make one up.
                (keyPath, nextPath) = (file, file + ".next")
                guard FileIO.exists(nextPath) else {
                    throw PipelineError.invalidSetting(
                        name: "master key", value: "\(file) without \(file).next",
                        allowed: "put the vault's next key at \(file).next on every node first (takevault keys generate \(file).next, then copy it)")
                }
            } else {
                throw PipelineError.invalidSetting(
                    name: "master key", value: "from the environment",
                    allowed: "rotation replaces a key file; rotate a key given in TAKEVAULT_MASTER_KEY where it is kept")
            }
            let next: MasterKey
            if FileIO.exists(nextPath) {
                next = try MasterKey(fileContents: try FileIO.read(nextPath))    // resuming, or the operator's next key
            } else {
                // Written whole or not at all: a half-written next key would lock the vault.
                next = MasterKey.generate()
                try AtomicOutput.write(next.fileContents(), to: nextPath, mode: 0o600)
            }
            let previous = try MasterKeySource.read(keyPath)
            // Only a node holding the vault's current key may move the vault on: one that missed
            // the last rotation (or holds another vault's key) would make a key current that the
            // others' owner keys are not wrapped under, and stop every node from writing.
            if let current = try await vault.catalog.masterKeys().first(where: { $0.state == .current }),
               current.keyID != next.id.hex, current.keyID != previous.id.hex {
                throw PipelineError.masterKeyOutdated(node: previous.id.hex, vault: current.keyID)
            }
            vault.masterKeys.replace(primary: next, others: [previous])
            // From here nodes without the next key refuse to wrap (they would wrap under the old one).
            try await vault.catalog.recordMasterKey(current: next.id.hex, at: Timestamp.string(vault.clock.now()))
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
            let staged = try await rewrapStagedUploads(under: next)
            Failpoint.reach(Failpoint.rotationRewrapped)
            if vault.masterKeyPath != nil {
                guard rename(nextPath, keyPath) == 0 else { throw FileIO.error("replace the master key with", nextPath) }
                FileIO.syncDirectory(vault.root)
                vault.masterKeys.replace(primary: next, others: [])
            }
            // A node's own key file (TAKEVAULT_MASTER_KEY_FILE) is the operator's to replace, on every node.
            try await vault.catalog.retireMasterKeys(at: Timestamp.string(vault.clock.now()))
            try await vault.catalog.append(AuditEvent.keyRotation(masterKeyID: next.id.hex, rewrapped: rewrapped).record(at: Timestamp.string(vault.clock.now())))
            return Result(masterKeyID: next.id.hex, rewrapped: rewrapped, rekeyedOwners: rekeyed.owners, takeKeysRewrapped: rekeyed.takeKeysRewrapped,
                          rekeyFailed: rekeyed.failed, damagedTakeKeys: rekeyed.damaged, stagedUploadsRewrapped: staged.rewrapped,
                          damagedStagedUploads: staged.damaged)
        }
    }

    /// Staged uploads' seals (the relay's, FORMAT.md §10) under the new master key: an upload
    /// acknowledged before the rotation stays readable once the old key is retired. A seal that
    /// does not open is reported and left for its job to fail on; one removed meanwhile (its job
    /// ended) is not put back.
    private func rewrapStagedUploads(under next: MasterKey) async throws -> (rewrapped: Int, damaged: [String]) {
        var rewrapped = 0
        var damaged: [String] = []
        for info in try await vault.store.list(prefix: StagingNames.root) where info.name.hasSuffix("/seal") {
            guard let (owner, job) = StagingNames.upload(of: info.name) else { continue }
            let object: [UInt8]
            do { object = try await vault.store.get(info.name, range: 0..<Int64(StagedUploadFormat.sealSize + 1)) } catch StoreError.notFound { continue }
            if StagedUploadFormat.masterKeyID(ofSeal: object) == next.id { continue }
            guard let seal = try? StagedUploadFormat.openSeal(object, owner: owner, job: job, objectName: info.name, masterKey: { vault.masterKeys.key(id: $0) }) else {
                damaged.append(info.name)
                continue
            }
            guard let tags = try await vault.store.head(info.name)?.tags else { continue }
            try await vault.store.put(info.name, data: try StagedUploadFormat.sealObject(seal, owner: owner, job: job, under: next), tags: tags, createOnly: false)
            rewrapped += 1
        }
        return (rewrapped, damaged)
    }
}
