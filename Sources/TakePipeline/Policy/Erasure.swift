import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The right to erasure. In this order, each step safe to repeat after a crash:
/// 1. destroy the owner's wrapped keys — the key objects in the store and the catalog's copies —
///    and rotate the master key (``KeyRotation``), so that a copy of the store taken earlier, whose
///    key objects were wrapped under the old master key, can no longer be opened either
///    (crypto-shredding: from here nothing of theirs decrypts, from this store or any copy of it);
/// 2. delete their manifests, then every other object under their prefix;
/// 3. remove every catalog row naming them (relay jobs too, with their spooled uploads, and their
///    quarantined uploads), strip
///    their id from past events, and write a tombstone holding a random id and the time only.
/// Refused while a hold covers the owner. A crash after step 1 leaves objects without a key:
/// the next sweep deletes them as an erased owner's leftovers.
public struct Erasure: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Result: Sendable, Encodable {
        public var tombstone: String
        public var objectsDeleted: Int
        /// `false` when the master key comes from the environment and could not be rotated here:
        /// copies of the store made before the erasure stay readable until it is rotated.
        public var earlierCopiesUnreadable: Bool
        enum CodingKeys: String, CodingKey { case tombstone, objectsDeleted = "objects_deleted", earlierCopiesUnreadable = "earlier_copies_unreadable" }
    }

    public func erase(owner id: String) async throws -> Result {
        try await vault.withLock(.vault, .exclusive) {
            try Identifier.validate(id, kind: "owner id")
            if try await vault.catalog.owner(id) == nil, try await vault.store.list(prefix: ObjectNames.ownerPrefix(id)).isEmpty,
               try await vault.store.list(prefix: StagingNames.ownerPrefix(id)).isEmpty {
                // Nothing of theirs is left (erased already, or never here): no second tombstone.
                throw PipelineError.nothingToErase(id)
            }
            let holds = try await vault.catalog.activeHolds(owner: id)
            if let hold = holds.first(where: { $0.takeID == nil }) ?? holds.first {
                throw PipelineError.ownerHeld(owner: id, reason: hold.reason, hold: hold.id)
            }
            // 1. Crypto-shred.
            for info in try await vault.store.list(prefix: ObjectNames.keysPrefix(owner: id)) {
                try await vault.store.delete(info.name)
            }
            try await vault.catalog.deleteOwnerKeys(id)
            let rotated = vault.masterKeyPath != nil
            if rotated { _ = try await KeyRotation(vault: vault).run() }
            Failpoint.reach(Failpoint.erasureShredded)
            // 2. Objects: manifests first, so no take is ever half there.
            let objects = try await vault.store.list(prefix: ObjectNames.ownerPrefix(id))
            try await vault.store.delete(objects.map(\.name).filter(Sweep.isManifest))
            try await vault.store.delete(objects.map(\.name).filter { !Sweep.isManifest($0) })
            // Uploads relays handed over that are not yet takes: the spooled audio goes with the rest
            // (the job rows go in step 3).
            for job in try await vault.catalog.jobIDs(owner: id) { vault.spool.removeAccepted(job: job) }
            // The relay's uploads are staged in the store too (FORMAT.md §10).
            let staged = try await UploadStaging(vault: vault).removeAll(owner: id)
            // Their rejected uploads: audio, and a reason naming them.
            for folder in Quarantine(vault: vault).folders(owner: id) { FileIO.removeTree(folder) }
            // Decoded audio of ingests or reprocesses whose process ended mid-way: no live one runs
            // now (they hold the vault's lock shared), and a folder does not say whose it was.
            vault.removeAbandonedWorkFolders()
            Failpoint.reach(Failpoint.erasureObjectsDeleted)
            // 3. Catalog and tombstone.
            let tombstone = TombstoneRecord(id: "t_" + Array((0..<16).map { _ in UInt8.random(in: 0...255) }).hex, at: Timestamp.string(vault.clock.now()))
            try await vault.catalog.eraseOwner(id, tombstone: tombstone)
            try await vault.catalog.append(AuditEvent.erasure(tombstone: tombstone.id).record(at: tombstone.at))
            return Result(tombstone: tombstone.id, objectsDeleted: objects.count + staged, earlierCopiesUnreadable: rotated)
        }
    }
}
