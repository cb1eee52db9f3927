import ObjectStore
import TakevaultCore
import TakeArchive
import TakePipeline
import Testing
import TestSupport

/// Damage to any stored object is found by `verify --read-data` and refused by `restore`, both
/// naming the object, while untouched takes still restore.
@Suite("Tampering")
struct TamperTests {
    /// A vault with two takes of alice (one to damage, one to stay intact) and one of bob.
    static func vault() async throws -> (TestVault, damaged: String, intact: String, bob: String) {
        let vault = try TestVault()
        let damaged = try await vault.ingest(RepositoryPaths.samples + "/keys-48k24-stereo.wav").takeID
        let intact = try await vault.ingest(RepositoryPaths.samples + "/voice-take-48k16-mono.wav").takeID
        let bob = try await vault.ingest(RepositoryPaths.samples + "/drums-44k16-stereo.flac", owner: "bob").takeID
        return (vault, damaged, intact, bob)
    }

    static func masterChunk(_ vault: TestVault, take: String) async throws -> String {
        let manifest = try await Inspect(vault: vault.vault).run(take: take)
        return ObjectNames.chunk(owner: manifest.body.owner, id: manifest.body.artefact(.master)!.chunks[0].id)
    }

    static func flip(_ path: String, at offset: Int) {
        var bytes = readBytes(path)
        let index = offset >= 0 ? offset : bytes.count + offset
        bytes[index] ^= 0x01
        writeBytes(path, bytes)
    }

    /// verify --read-data fails naming `object`; restore of `take`'s master fails with an
    /// integrity error; the intact take restores.
    static func expectCaught(_ vault: TestVault, object: String, take: String, intact: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let report = try await Verify(vault: vault.vault).run(readData: true)
        #expect(!report.ok, sourceLocation: sourceLocation)
        #expect(report.failures.contains { $0.object == object || $0.message.contains(object) }, "failures: \(report.failures)", sourceLocation: sourceLocation)
        do {
            _ = try await Restore(vault: vault.vault).run(take: take, artefact: .master, to: vault.directory.file("out.flac"))
            Issue.record("restore of a damaged take succeeded", sourceLocation: sourceLocation)
        } catch let error as ReasonCoded {
            #expect(error.category == .integrity, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(object), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(!vault.directory.exists(vault.directory.file("out.flac")), sourceLocation: sourceLocation)
        _ = try await Restore(vault: vault.vault).run(take: intact, artefact: .master, to: vault.directory.file("intact.flac"))
    }

    @Test("one flipped bit in a chunk", arguments: [4, 1_000, -1])
    func chunkBit(offset: Int) async throws {
        let (vault, damaged, intact, _) = try await Self.vault()
        let chunk = try await Self.masterChunk(vault, take: damaged)
        Self.flip(vault.storePath(chunk), at: offset)
        try await Self.expectCaught(vault, object: chunk, take: damaged, intact: intact)
    }

    @Test("one flipped bit in the manifest's clear header or its sealed body", arguments: [30, -5, -40])
    func manifestBit(offset: Int) async throws {
        let (vault, damaged, intact, _) = try await Self.vault()
        let manifest = ObjectNames.manifest(owner: "alice", take: damaged, generation: 1)
        Self.flip(vault.storePath(manifest), at: offset)
        try await Self.expectCaught(vault, object: manifest, take: damaged, intact: intact)
    }

    /// A terabyte that takes no disk: read whole, it could not be allocated. Every reader of stored
    /// objects fetches at most one byte more than the object can be, and refuses the rest.
    @Test("a sparse 1 TiB object in place of a manifest, a chunk or a key object is refused as malformed, never read whole",
          arguments: ["manifest", "chunk", "key"])
    func giantObject(kind: String) async throws {
        let (vault, damaged, intact, bob) = try await Self.vault()
        let name = switch kind {
        case "manifest": ObjectNames.manifest(owner: "alice", take: damaged, generation: 1)
        case "chunk": try await Self.masterChunk(vault, take: damaged)
        default: ObjectNames.keyObject(owner: "alice", version: 1)
        }
        #expect(truncate(vault.storePath(name), 1 << 40) == 0, "sparse files: \(errno)")
        guard kind == "key" else {
            try await Self.expectCaught(vault, object: name, take: damaged, intact: intact)
            return
        }
        // Restore takes the wrapped key from the catalog; without it, the store's object is read.
        for suffix in ["", "-wal", "-shm"] { unlink(vault.directory.file("vault/catalog.sqlite" + suffix)) }
        let reopened = try vault.reopen()
        let report = try await Verify(vault: reopened).run(readData: true)
        #expect(report.failures.contains { $0.object == name && $0.code == "malformed_object" }, "\(report.failures)")
        do {
            _ = try await Restore(vault: reopened).run(take: damaged, artefact: .master, to: vault.directory.file("out.flac"))
            Issue.record("restore under a giant key object succeeded")
        } catch let error as ReasonCoded {
            #expect(error.category == .integrity, "\(error)")
        }
        _ = try await Restore(vault: reopened).run(take: bob, artefact: .master, to: vault.directory.file("bob.flac"))
    }

    @Test("one flipped bit in the owner's key object breaks every take of that owner, and only theirs")
    func keyObjectBit() async throws {
        let (vault, damaged, _, bob) = try await Self.vault()
        let key = ObjectNames.keyObject(owner: "alice", version: 1)
        Self.flip(vault.storePath(key), at: 40)
        // The catalog's copy of the wrapped key is not the truth: use a vault without it.
        for suffix in ["", "-wal", "-shm"] { unlink(vault.directory.file("vault/catalog.sqlite" + suffix)) }
        let reopened = try vault.reopen()
        let report = try await Verify(vault: reopened).run(readData: true)
        #expect(report.failures.contains { $0.object == key })
        await #expect(throws: ArchiveError.authenticationFailed(object: key)) {
            _ = try await Restore(vault: reopened).run(take: damaged, artefact: .master, to: vault.directory.file("x"))
        }
        _ = try await Restore(vault: reopened).run(take: bob, artefact: .master, to: vault.directory.file("bob.flac"))
    }

    @Test("two chunks swapped")
    func swapped() async throws {
        let (vault, damaged, intact, _) = try await Self.vault()
        let manifest = try await Inspect(vault: vault.vault).run(take: damaged)
        let first = vault.storePath(ObjectNames.chunk(owner: "alice", id: manifest.body.artefact(.master)!.chunks[0].id))
        let second = vault.storePath(ObjectNames.chunk(owner: "alice", id: manifest.body.artefact(.preview)!.chunks[0].id))
        let (a, b) = (readBytes(first), readBytes(second))
        writeBytes(first, b)
        writeBytes(second, a)
        try await Self.expectCaught(vault, object: ObjectNames.chunk(owner: "alice", id: manifest.body.artefact(.master)!.chunks[0].id), take: damaged, intact: intact)
    }

    @Test("a truncated chunk")
    func truncated() async throws {
        let (vault, damaged, intact, _) = try await Self.vault()
        let chunk = try await Self.masterChunk(vault, take: damaged)
        writeBytes(vault.storePath(chunk), Array(readBytes(vault.storePath(chunk)).dropLast(100)))
        try await Self.expectCaught(vault, object: chunk, take: damaged, intact: intact)
    }

    @Test("a chunk moved to another owner does not open there")
    func movedToAnotherOwner() async throws {
        let (vault, _, _, bob) = try await Self.vault()
        let bobChunk = try await Self.masterChunk(vault, take: bob)
        let aliceManifest = try await Inspect(vault: vault.vault).run(take: bob)
        let id = aliceManifest.body.artefact(.master)!.chunks[0].id
        // Put bob's chunk bytes under alice's name for the same id: alice's key cannot open it.
        let sealer = ChunkSealer(key: try await OwnerKeyring(vault: vault.vault).currentKey(owner: "alice")!)
        #expect(throws: ArchiveError.self) { _ = try sealer.open(readBytes(vault.storePath(bobChunk)), id: id, objectName: "moved") }
    }

    @Test("a missing chunk is named by verify even without --read-data")
    func missing() async throws {
        let (vault, damaged, intact, _) = try await Self.vault()
        let chunk = try await Self.masterChunk(vault, take: damaged)
        try await vault.vault.store.delete(chunk)
        let quick = try await Verify(vault: vault.vault).run(readData: false)
        #expect(quick.failures.contains { $0.object == chunk })
        try await Self.expectCaught(vault, object: chunk, take: damaged, intact: intact)
    }

    @Test("a giant put in place of an owner's policy object is refused as malformed without being read whole")
    func giantPolicyObject() async throws {
        let (vault, _, _, _) = try await Self.vault()
        let name = ObjectNames.policy(owner: "alice", version: 1)
        writeBytes(vault.storePath(name), Array(repeating: 0x41, count: 3 << 20))
        let report = try await Verify(vault: vault.vault).run()
        #expect(report.failures.contains { $0.object == name && $0.code == "malformed_object" }, "\(report.failures)")
    }
}

#if canImport(Glibc)
import Glibc
#endif
