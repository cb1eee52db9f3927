import ObjectStore
import TakeArchive
import TakeCatalog
@testable import TakePipeline
import TakevaultCore
import Testing
import TestSupport
import AudioTestSupport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Format 3 (FORMAT.md §9): every take has a key of its own, and deleting a take is permanent in
/// earlier copies of the store too, once the next key rotation has re-keyed its owner.
@Suite("Per-take keys: deletion and earlier copies of the store")
struct TakeKeyDeletionTests {
    static let keys = RepositoryPaths.samples + "/keys-48k24-stereo.wav"
    static let guitar = RepositoryPaths.samples + "/guitar-44k16-stereo.wav"

    /// Tries to open `take`'s key object as `copy` holds it with everything the vault has now: its
    /// master key, and the owner key objects of the live store (or, failing those, of the copy).
    static func openFromCopy(_ copy: LocalStore, vault: Vault, owner: String, take: String) async throws -> TakeKey {
        let object = try await copy.get(ObjectNames.takeKey(owner: owner, take: take))
        let version = try #require(TakeKey.ownerKeyVersion(of: object))
        let ownerKey: OwnerKey
        do { ownerKey = try await OwnerKeyring(vault: vault).key(owner: owner, version: version) } catch {
            let copied = try await copy.get(ObjectNames.keyObject(owner: owner, version: version))
            ownerKey = try vault.masterKeys.unwrap(copied, owner: owner, objectName: "copy")
        }
        return try TakeKey.unwrap(object, takeID: take, under: ownerKey, objectName: "copy")
    }

    @Test("a deleted take: gone from the live store at once; from a copy made before, unreadable after the next rotation; the owner's other take restores")
    func deletionReachesEarlierCopies() async throws {
        let vault = try TestVault()
        let deleted = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        let kept = try await vault.ingest(Self.guitar, owner: "alice", tier: .studio).takeID
        let keptManifest = try await Inspect(vault: vault.vault).run(take: kept)
        #expect(keptManifest.header.format == ManifestSealer.takeKeyFormat)
        // Each take has its own key, and no chunk in common even where the audio would allow it.
        #expect(try await vault.vault.store.head(ObjectNames.takeKey(owner: "alice", take: deleted)) != nil)

        let copy = Self.copyStore(vault)
        let copied = try LocalStore(root: copy)
        _ = try await TakeDeletion(vault: vault.vault).delete(takes: [deleted], by: "test")
        #expect(try await vault.vault.store.head(ObjectNames.takeKey(owner: "alice", take: deleted)) == nil, "the key goes with the take")
        #expect(try await OwnerPolicyStore(vault: vault.vault).current(owner: "alice")?.rekeyDue == true)
        // Until the rotation, the copy's key of the deleted take still opens with what the vault
        // has: the test can fail, and the rotation is what closes it.
        _ = try await Self.openFromCopy(copied, vault: vault.vault, owner: "alice", take: deleted)

        let rotation = try await KeyRotation(vault: vault.vault).run()
        #expect(rotation.rekeyedOwners == 1 && rotation.takeKeysRewrapped == 1 && rotation.rekeyFailed.isEmpty)
        let reopened = try vault.reopen()
        await #expect(throws: ArchiveError.self) { _ = try await Self.openFromCopy(copied, vault: reopened, owner: "alice", take: deleted) }
        // Nor with the copy's own key objects and the new master key, nor with the new owner key version.
        let copiedKey = try await copied.get(ObjectNames.keyObject(owner: "alice", version: 1))
        #expect(throws: ArchiveError.self) { _ = try reopened.masterKeys.unwrap(copiedKey, owner: "alice", objectName: "copy") }
        let current = try #require(try await OwnerKeyring(vault: reopened).currentKey(owner: "alice"))
        #expect(current.version == 2 && current.takeWrapping != nil)
        #expect(try await OwnerKeyring(vault: reopened).key(owner: "alice", version: 1).takeWrapping == nil, "version 1 keeps its stable key only")
        let copiedTakeKey = try await copied.get(ObjectNames.takeKey(owner: "alice", take: deleted))
        #expect(throws: ArchiveError.self) { _ = try TakeKey.unwrap(copiedTakeKey, takeID: deleted, under: current, objectName: "copy") }

        // The other take: its key rewrapped under version 2, restored byte for byte; the mark cleared.
        let keptKey = try await reopened.store.get(ObjectNames.takeKey(owner: "alice", take: kept))
        #expect(TakeKey.ownerKeyVersion(of: keptKey) == 2)
        let restored = vault.directory.file("kept.flac")
        let written = try await Restore(vault: reopened).run(take: kept, artefact: .master, to: restored)
        #expect(written.bytes == keptManifest.body.artefact(.master)?.bytes)
        #expect(try await OwnerPolicyStore(vault: reopened).current(owner: "alice")?.rekeyDue == nil)
        #expect(try await Verify(vault: reopened).run(readData: true).ok)
        // The same upload again is the same take id as before the re-key (the stable key), archived anew.
        let again = try await Ingest(vault: reopened).run(IngestRequest(path: Self.keys, owner: "alice", tier: .studio))
        #expect(again.takeID == deleted && again.created)
        // A second rotation with nothing deleted re-keys no one.
        let quiet = try await KeyRotation(vault: reopened).run()
        #expect(quiet.rekeyedOwners == 0 && quiet.takeKeysRewrapped == 0)
    }

    /// A copy of the vault's store as it is now (what a backup or a snapshot holds); its path.
    static func copyStore(_ vault: TestVault) -> String {
        let copy = vault.directory.file("store-copy")
        #expect(run("/bin/cp", ["-a", vault.directory.file("vault/store"), copy]).status == 0)
        return copy
    }

    /// Copies `names` from the store copy at `copy` back into the live store of `vault`, tags and all.
    static func putBack(_ names: [String], from copy: String, into vault: TestVault) throws {
        for name in names {
            for prefix in ["", ".tags/"] {
                let target = vault.directory.file("vault/store/" + prefix + name)
                #expect(run("/bin/mkdir", ["-p", String(target[..<target.lastIndex(of: "/")!])]).status == 0)
                #expect(run("/bin/cp", ["-a", copy + "/" + prefix + name, target]).status == 0)
            }
        }
    }

    @Test("a deleted take's key put back into the store before the rotation is not rewrapped: the rotation removes it, and the take stays unreadable")
    func putBackBeforeRotation() async throws {
        let vault = try TestVault()
        let deleted = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        let kept = try await vault.ingest(Self.guitar, owner: "alice", tier: .studio).takeID
        let manifest = try await Inspect(vault: vault.vault).run(take: deleted)
        let copy = Self.copyStore(vault)
        _ = try await TakeDeletion(vault: vault.vault).delete(takes: [deleted], by: "test")
        // Someone with write access to the store puts the deleted take back whole, then the rotation runs.
        let chunks = manifest.body.artefacts.flatMap { $0.chunks.map { ObjectNames.chunk(owner: "alice", id: $0.id) } }
        try Self.putBack([ObjectNames.takeKey(owner: "alice", take: deleted), manifest.name] + chunks, from: copy, into: vault)
        // Neither a catalog rebuild nor a sweep brings it back into the catalog; verify names it.
        let rebuilt = try await CatalogRebuild(vault: vault.vault).run()
        #expect(!rebuilt.ok && rebuilt.failures.contains { $0.code == "deleted_take_present" })
        _ = try await Sweep(vault: vault.vault).run(asOf: Date(), dryRun: false)
        #expect(try await vault.vault.catalog.take(deleted) == nil)
        #expect(try await Verify(vault: vault.vault).run().failures.contains { $0.code == "deleted_take_present" })
        let rotation = try await KeyRotation(vault: vault.vault).run()
        #expect(rotation.takeKeysRewrapped == 1, "the kept take's key only")
        #expect(try await vault.vault.store.head(ObjectNames.takeKey(owner: "alice", take: deleted)) == nil)
        let reopened = try vault.reopen()
        try Self.putBack([ObjectNames.takeKey(owner: "alice", take: deleted)], from: copy, into: vault)
        await #expect(throws: (any Error).self) {
            _ = try await Restore(vault: reopened).run(take: deleted, artefact: .master, to: vault.directory.file("deleted.flac"))
        }
        _ = try await Restore(vault: reopened).run(take: kept, artefact: .master, to: vault.directory.file("kept.flac"))
    }

    @Test("a damaged key of another take does not keep a deleted take's wrapping key alive; the sweep leaves the damaged take's chunks alone")
    func damagedKeyDoesNotBlock() async throws {
        let vault = try TestVault()
        let deleted = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        let damaged = try await vault.ingest(Self.guitar, owner: "alice", tier: .studio).takeID
        let copy = Self.copyStore(vault)
        _ = try await TakeDeletion(vault: vault.vault).delete(takes: [deleted], by: "test")
        let damagedKey = ObjectNames.takeKey(owner: "alice", take: damaged)
        var bytes = try await vault.vault.store.get(damagedKey)
        bytes[30] ^= 0xff
        #expect(FileManager.default.createFile(atPath: vault.storePath(damagedKey), contents: Data(bytes)))

        let rotation = try await KeyRotation(vault: vault.vault).run()
        #expect(rotation.damagedTakeKeys == [damagedKey] && rotation.rekeyFailed.isEmpty && rotation.rekeyedOwners == 1)
        let reopened = try vault.reopen()
        await #expect(throws: ArchiveError.self) { _ = try await Self.openFromCopy(try LocalStore(root: copy), vault: reopened, owner: "alice", take: deleted) }

        // The damaged take's chunks are not orphans: verify names the damage and lists no orphan,
        // the sweep skips the owner and deletes nothing of theirs.
        let chunksBefore = try await reopened.store.list(prefix: ObjectNames.chunksPrefix(owner: "alice")).count
        let report = try await Verify(vault: reopened).run()
        #expect(!report.ok && report.orphans.isEmpty && report.failures.contains { $0.object == damagedKey })
        let sweep = try await Sweep(vault: reopened).run(asOf: Date().addingTimeInterval(30 * 86_400), dryRun: false)
        #expect(sweep.deleted.allSatisfy { $0.owner != "alice" })
        #expect(try await reopened.store.list(prefix: ObjectNames.chunksPrefix(owner: "alice")).count == chunksBefore)
    }

    @Test("a manifest gone or replaced by a FIFO behind the catalog's back: the sweep deletes nothing of the take, which restores once the manifest is back", .timeLimit(.minutes(5)))
    func manifestGoneBehindCatalog() async throws {
        let vault = try TestVault()
        let take = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        let manifest = try await Inspect(vault: vault.vault).run(take: take)
        let saved = try await vault.vault.store.get(manifest.name)
        let before = try await vault.vault.store.list(prefix: ObjectNames.ownerPrefix("alice")).count
        let path = vault.storePath(manifest.name)
        for replacement in ["fifo", "gone"] {
            unlink(path)
            if replacement == "fifo" { #expect(mkfifo(path, 0o600) == 0) }
            _ = try? await Sweep(vault: vault.vault).run(asOf: Date().addingTimeInterval(30 * 86_400), dryRun: false)
            #expect(try await vault.vault.store.list(prefix: ObjectNames.ownerPrefix("alice")).count == before - 1, "\(replacement): only the manifest is missing")
            unlink(path)
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(saved)))
        _ = try await Restore(vault: vault.vault).run(take: take, artefact: .master, to: vault.directory.file("back.flac"))
    }

    @Test("a FIFO in place of an owner's only policy object stops the sweep with an error, not a hang", .timeLimit(.minutes(5)))
    func policyFIFO() async throws {
        let vault = try TestVault()
        _ = try await vault.ingest(Self.keys, owner: "alice", tier: .studio)
        let path = vault.storePath(ObjectNames.policy(owner: "alice", version: 1))
        unlink(path)
        #expect(mkfifo(path, 0o600) == 0)
        let report = try await Sweep(vault: vault.vault).run(asOf: Date(), dryRun: false)
        #expect(report.skipped.contains { $0.owner == "alice" })
    }

    @Test("a deletion that stopped after the manifests went: verify names the take, and deleting it again finishes the job")
    func interruptedDeletion() async throws {
        let vault = try TestVault()
        let take = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        let manifest = try await Inspect(vault: vault.vault).run(take: take)
        try await vault.vault.store.delete(manifest.name)
        let report = try await Verify(vault: vault.vault).run()
        #expect(report.failures.contains { $0.code == "manifest_missing" && $0.object == manifest.name })
        _ = try await TakeDeletion(vault: vault.vault).delete(takes: [take], by: "test")
        #expect(try await vault.vault.store.list(prefix: ObjectNames.ownerPrefix("alice")).allSatisfy { !$0.name.contains("/takes/") && !$0.name.contains("/chunks/") })
        #expect(try await vault.vault.catalog.take(take) == nil)
        #expect(try await Verify(vault: vault.vault).run(readData: true).ok)
    }

    @Test("an ingest that stopped after storing its take key leaves an orphan key: verify lists it, the sweep removes it after the grace period")
    func orphanTakeKey() async throws {
        let vault = try TestVault()
        let take = try await vault.ingest(Self.keys, owner: "alice", tier: .studio).takeID
        // What a stopped ingest leaves: a stored key, no manifest.
        let key = try TakeKey.generate(owner: "alice", takeID: "00000000000000000000000000000001")
        let owner = try #require(try await OwnerKeyring(vault: vault.vault).currentKey(owner: "alice"))
        let name = ObjectNames.takeKey(owner: "alice", take: key.takeID)
        try await vault.vault.store.put(name, data: try key.wrapped(under: owner),
                                        tags: ObjectTags(owner: "alice", tier: .studio, kind: .takeKey, retainUntil: nil), createOnly: true)
        #expect(try await Verify(vault: vault.vault).run().orphans == [name])
        let hours = Double(vault.vault.settings.retention.orphanGraceHours)
        #expect(try await Sweep(vault: vault.vault).run(asOf: Date(), dryRun: false).deleted.allSatisfy { $0.kind != .orphanTakeKey })
        let later = try await Sweep(vault: vault.vault).run(asOf: Date().addingTimeInterval((hours + 1) * 3_600), dryRun: false)
        #expect(later.deleted.contains { $0.kind == .orphanTakeKey && $0.id == name })
        #expect(try await vault.vault.store.head(name) == nil)
        #expect(try await vault.vault.store.head(ObjectNames.takeKey(owner: "alice", take: take)) != nil, "a take's own key stays")
    }

    /// Rewrites `take` of `owner` as a vault from before per-take keys holds it: the owner's key
    /// version 1 without a take-wrapping key (TVK1), the take's chunks and its format-2 manifest
    /// sealed under the owner data key, no take key; the catalog rebuilt from the store.
    static func makeLegacy(_ vault: Vault, owner: String, take: String) async throws {
        let opened = try await ManifestLocator(vault: vault).current(take: take)
        let legacy = OwnerKey(owner: owner, version: 1, material: try await OwnerKeyring(vault: vault).key(owner: owner, version: 1).material)
        let legacySealer = ChunkSealer(key: legacy)
        var body = opened.body
        var oldChunks: [String] = []
        for index in body.artefacts.indices {
            var chunks: [ChunkReference] = []
            for chunk in body.artefacts[index].chunks {
                let name = ObjectNames.chunk(owner: owner, id: chunk.id)
                let plaintext = try opened.sealing.chunkSealer.open(try await vault.store.get(name), id: chunk.id, objectName: name)
                let (id, object) = try legacySealer.seal(plaintext)
                try await vault.store.put(ObjectNames.chunk(owner: owner, id: id), data: object,
                                          tags: ObjectTags(owner: owner, tier: opened.header.tier, kind: .chunk, retainUntil: opened.header.retainUntil),
                                          createOnly: false)
                chunks.append(ChunkReference(id: id, size: chunk.size))
                oldChunks.append(name)
            }
            body.artefacts[index].chunks = chunks
        }
        var header = opened.header
        header.keyVersion = 1
        let manifest = try ManifestSealer.seal(header: header, body: body, key: legacy)
        #expect(try ManifestSealer.readHeader(manifest, objectName: opened.name).format == 2)
        try await vault.store.put(opened.name, data: manifest,
                                  tags: ObjectTags(owner: owner, tier: header.tier, kind: .manifest, retainUntil: header.retainUntil), createOnly: false)
        try await vault.store.delete(oldChunks + [ObjectNames.takeKey(owner: owner, take: take)])
        let keyObject = try legacy.wrapped(under: vault.masterKey)
        try await vault.store.put(ObjectNames.keyObject(owner: owner, version: 1), data: keyObject,
                                  tags: ObjectTags(owner: owner, tier: header.tier, kind: .ownerKey, retainUntil: nil), createOnly: false)
        try await vault.catalog.replaceOwnerKey(OwnerKeyRecord(ownerID: owner, version: 1, wrapped: keyObject, masterKeyID: vault.masterKey.id.hex,
                                                               createdAt: Timestamp.string(Date())))
        #expect(try await CatalogRebuild(vault: vault).run().ok)
    }

    @Test("an owner from before per-take keys: their format-2 take stays readable through a new key version, a deletion and a re-key")
    func legacyOwner() async throws {
        let vault = try TestVault()
        let old = try await vault.ingest(Self.guitar, owner: "carol", tier: .studio).takeID
        try await Self.makeLegacy(vault.vault, owner: "carol", take: old)
        #expect(try await Inspect(vault: vault.vault).run(take: old).header.format == 2)
        #expect(try await OwnerKeyring(vault: vault.vault).currentKey(owner: "carol")?.takeWrapping == nil)
        let restoredBefore = try await Restore(vault: vault.vault).run(take: old, artefact: .master, to: vault.directory.file("old-1.flac"))
        // Delivery reads a take's key object beside its manifest; a format-2 take has none and is
        // delivered under the owner key, byte for byte as it restores.
        let delivered = try await TakeDelivery(vault: vault.vault).open(take: old, permits: { $0 == "carol" })
        var streamed: [UInt8] = []
        try await delivered.artefact(.master).stream(0..<Int64.max, from: vault.vault.store) { streamed += $0.readableBytesView }
        #expect(streamed == (try SystemIO.readFile(vault.directory.file("old-1.flac"))))

        // Their next upload: a key version 2 with the same stable key and a take-wrapping key; a format-3 take.
        let new = try await vault.ingest(Self.keys, owner: "carol", tier: .studio).takeID
        let current = try #require(try await OwnerKeyring(vault: vault.vault).currentKey(owner: "carol"))
        #expect(current.version == 2 && current.takeWrapping != nil)
        #expect(try await Inspect(vault: vault.vault).run(take: new).header.format == ManifestSealer.takeKeyFormat)
        #expect(try await Verify(vault: vault.vault).run(readData: true).ok)

        // Deleting the new take and rotating: version 3; the old take still opens under the stable key.
        _ = try await TakeDeletion(vault: vault.vault).delete(takes: [new], by: "test")
        let rotation = try await KeyRotation(vault: vault.vault).run()
        #expect(rotation.rekeyedOwners == 1 && rotation.takeKeysRewrapped == 0)
        let reopened = try vault.reopen()
        #expect(try await OwnerKeyring(vault: reopened).currentKey(owner: "carol")?.version == 3)
        for version in 1...2 { #expect(try await OwnerKeyring(vault: reopened).key(owner: "carol", version: version).takeWrapping == nil) }
        let restoredAfter = try await Restore(vault: reopened).run(take: old, artefact: .master, to: vault.directory.file("old-2.flac"))
        #expect(restoredAfter.bytes == restoredBefore.bytes)
        #expect(try await Verify(vault: reopened).run(readData: true).ok)
        // The old upload again is still the old take (same take id: the stable key).
        let again = try await Ingest(vault: reopened).run(IngestRequest(path: Self.guitar, owner: "carol", tier: .studio))
        #expect(again.takeID == old && !again.created)
        // Deleting the old take (its chunks read from the owner's manifests, as before per-take keys)
        // leaves nothing of it and nothing orphaned.
        let newer = try await Ingest(vault: reopened).run(IngestRequest(path: Self.keys, owner: "carol", tier: .studio)).takeID
        _ = try await TakeDeletion(vault: reopened).delete(takes: [old], by: "test")
        let left = try await reopened.store.list(prefix: ObjectNames.ownerPrefix("carol")).map(\.name)
        #expect(!left.contains { $0.contains(old) })
        let report = try await Verify(vault: reopened).run(readData: true)
        #expect(report.ok && report.orphans.isEmpty, "\(report.failures) \(report.orphans)")
        #expect(try await reopened.catalog.take(newer) != nil)
    }
}
