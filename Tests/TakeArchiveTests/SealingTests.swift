import TakevaultCore
import TakeArchive
import Testing
import TestSupport

/// Every alteration of a sealed object is caught; owners are isolated; ids cannot escape.
@Suite("Sealing and isolation")
struct SealingTests {
    static let master = MasterKey.generate()
    static let alice = try! OwnerKey.generate(owner: "alice")
    static let bob = try! OwnerKey.generate(owner: "bob")

    static func plaintext(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    static func isIntegrityFailure(_ body: () throws -> Void) -> Bool {
        do { try body(); return false } catch let error as ArchiveError { return error.category == .integrity } catch { return false }
    }

    @Test("flipping any single bit of a chunk object makes it fail to open", arguments: [0, 3, 4, 50, 4_003, 4_004 + 15])
    func chunkBitFlips(position: Int) throws {
        let sealer = ChunkSealer(key: Self.alice)
        let (id, object) = try sealer.seal(Self.plaintext(4_000))
        var damaged = object
        damaged[position] ^= 0x10
        #expect(Self.isIntegrityFailure { _ = try sealer.open(damaged, id: id, objectName: "c") })
        #expect(try sealer.open(object, id: id, objectName: "c") == Self.plaintext(4_000))
    }

    @Test("a chunk stored under another chunk's id (swapped) or truncated fails")
    func swappedAndTruncated() throws {
        let sealer = ChunkSealer(key: Self.alice)
        let first = try sealer.seal(Self.plaintext(1_000, seed: 1)), second = try sealer.seal(Self.plaintext(1_000, seed: 2))
        #expect(Self.isIntegrityFailure { _ = try sealer.open(second.object, id: first.id, objectName: "c") })
        #expect(Self.isIntegrityFailure { _ = try sealer.open(Array(first.object.dropLast(1)), id: first.id, objectName: "c") })
        #expect(Self.isIntegrityFailure { _ = try sealer.open(Array(first.object.prefix(10)), id: first.id, objectName: "c") })
    }

    @Test("owner B's key cannot open owner A's chunks; equal content has unrelated ids across owners")
    func ownerIsolation() throws {
        let content = Self.plaintext(2_000)
        let aliceChunk = try ChunkSealer(key: Self.alice).seal(content)
        let bobChunk = try ChunkSealer(key: Self.bob).seal(content)
        #expect(aliceChunk.id != bobChunk.id)
        #expect(Self.isIntegrityFailure { _ = try ChunkSealer(key: Self.bob).open(aliceChunk.object, id: aliceChunk.id, objectName: "c") })
        // Even Bob's key under Alice's name: the owner id is bound into the associated data.
        let impostor = OwnerKey(owner: "alice", version: 1, material: Self.bob.material)
        #expect(Self.isIntegrityFailure { _ = try ChunkSealer(key: impostor).open(aliceChunk.object, id: aliceChunk.id, objectName: "c") })
        // Within an owner, equal content deduplicates.
        #expect(try ChunkSealer(key: Self.alice).seal(content).object == aliceChunk.object)
    }

    @Test("a key object opens only for its owner, under its master key, unaltered")
    func keyObjects() throws {
        let object = try Self.alice.wrapped(under: Self.master)
        #expect(try OwnerKey.unwrap(object, owner: "alice", under: Self.master, objectName: "k").material == Self.alice.material)
        #expect(Self.isIntegrityFailure { _ = try OwnerKey.unwrap(object, owner: "bob", under: Self.master, objectName: "k") })
        #expect(Self.isIntegrityFailure { _ = try OwnerKey.unwrap(object, owner: "alice", under: MasterKey.generate(), objectName: "k") })
        for position in [0, 5, 13, 20, 40, 75] {
            var damaged = object
            damaged[position] ^= 1
            #expect(Self.isIntegrityFailure { _ = try OwnerKey.unwrap(damaged, owner: "alice", under: Self.master, objectName: "k") })
        }
    }

    static func manifest(for key: OwnerKey) -> (ManifestHeader, ManifestBody) {
        let header = ManifestHeader(takeID: "0123456789abcdef0123456789abcdef", owner: key.owner, tier: .free, retainUntil: "2026-12-06T00:00:00Z", generation: 1, keyVersion: 1)
        let body = ManifestBody(
            takeID: header.takeID, owner: key.owner, sessionID: "s1", participants: [Participant(id: "u2", role: "producer")], recordedAt: nil,
            ingestedAt: "2026-11-29T00:00:00Z", tier: .free, retainUntil: header.retainUntil,
            original: OriginalUpload(fileName: "take.wav", bytes: 10, sha256: "00", probe: .object([:])), dawTransport: .object(["tempo": .number(120)]),
            analysis: .object(["integrated_lufs": .number(-16)]), preview: nil, artefacts: [],
            pipeline: PipelineRecord(version: "t", settings: .object([:]), settingsHash: "00", codecVersions: [:]), generation: 1)
        return (header, body)
    }

    @Test("a manifest's header is readable without keys, and any change to header or body is caught")
    func manifestTampering() throws {
        let (header, body) = Self.manifest(for: Self.alice)
        let object = try ManifestSealer.seal(header: header, body: body, key: Self.alice)
        let m = ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: header.generation)
        #expect(try ManifestSealer.readHeader(object, objectName: m) == header)
        #expect(try ManifestSealer.open(object, key: Self.alice, objectName: m).body == body)
        // Change the tier in the clear header (same length: "free" → "fres").
        var retiered = object
        let headerText = Array("\"tier\":\"free\"".utf8)
        let start = (0..<(object.count - headerText.count)).first { Array(object[$0..<($0 + headerText.count)]) == headerText }!
        retiered[start + headerText.count - 2] = UInt8(ascii: "s")
        #expect(Self.isIntegrityFailure { _ = try ManifestSealer.open(retiered, key: Self.alice, objectName: m) })
        for position in [object.count - 1, object.count - 20, object.count - 40] {
            var damaged = object
            damaged[position] ^= 0x40
            #expect(Self.isIntegrityFailure { _ = try ManifestSealer.open(damaged, key: Self.alice, objectName: m) })
        }
        #expect(Self.isIntegrityFailure { _ = try ManifestSealer.open(object, key: Self.bob, objectName: m) })
        // Under another take's name or another generation's, it does not open (format 2 binds the name).
        for other in [ObjectNames.manifest(owner: header.owner, take: "other-take", generation: header.generation),
                      ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: header.generation + 1)] {
            #expect(Self.isIntegrityFailure { _ = try ManifestSealer.open(object, key: Self.alice, objectName: other) })
        }
        #expect(throws: ArchiveError.malformedObject(object: "m", detail: "not a manifest's object name")) {
            try ManifestSealer.open(object, key: Self.alice, objectName: "m")
        }
        #expect(Self.isIntegrityFailure { _ = try ManifestSealer.open(Array(object.prefix(object.count / 2)), key: Self.alice, objectName: m) })
    }

    @Test("ids that could escape the vault, or collide with another on a case-insensitive file system, are rejected", arguments: [
        "", ".", "..", "../etc", "a/b", "/abs", "nul\u{0}byte", ".hidden", String(repeating: "x", count: 65), "spa ce", "ünï",
        "Alice", "ALICE", "aLice", "-rf", "_x", "K",
    ])
    func badIdentifiers(id: String) {
        #expect(!Identifier.isValid(id))
        #expect(throws: DomainValueError.invalidIdentifier(kind: "owner id", value: id)) { try OwnerKey.generate(owner: id) }
    }

    @Test("the id rule's own alphabet is accepted", arguments: ["alice", "u1", "0", "studio-eu_1.take", String(repeating: "x", count: 64), "9-a"])
    func goodIdentifiers(id: String) {
        #expect(Identifier.isValid(id))
    }

    @Test("a manifest whose header names a generation beyond 32 bits is malformed, not a trap (found by fuzzing)")
    func generationOutOfRange() throws {
        let found = readBytes(RepositoryPaths.root + "/Tests/Fixtures/fuzz/manifest-generation-overflow.bin")
        let key = OwnerKey(owner: "owner-1", version: 1, material: KeyMaterial(bytes: Array(0x20...0x3f)))
        #expect(throws: ArchiveError.malformedObject(object: "m", detail: "generation 22222222222 or key version 1 is out of range")) {
            try ManifestSealer.open(found, key: key, objectName: "m")
        }
        #expect(throws: ArchiveError.self) { try ManifestSealer.readHeader(found, objectName: "m") }
    }

    @Test("names parse back to what they name")
    func names() throws {
        let id = try ChunkSealer(key: Self.alice).seal([1, 2, 3]).id
        #expect(ObjectNames.parse(ObjectNames.chunk(owner: "alice", id: id)) == .chunk(owner: "alice", id: id.hex))
        #expect(ObjectNames.parse(ObjectNames.keyObject(owner: "alice", version: 3)) == .key(owner: "alice", version: 3))
        #expect(ObjectNames.parse(ObjectNames.manifest(owner: "alice", take: "t1", generation: 12)) == .manifest(owner: "alice", take: "t1", generation: 12))
        #expect(ObjectNames.manifest(owner: "alice", take: "t1", generation: 12).hasSuffix("manifest-000012"))
        #expect(ObjectNames.parse("v1/owners/../chunks/x") == nil)
        #expect(ObjectNames.parse("v1/owners/Alice/keys/1") == nil)
        #expect(ObjectNames.parse("v1/owners/alice/keys/+1") == nil)
        #expect(ObjectNames.parse("v1/owners/alice/takes/t1/manifest- 12") == nil)
    }

    @Test("keys never print themselves")
    func redaction() {
        #expect(!"\(Self.master)".contains(Self.master.material.bytes.hex))
        #expect("\(Self.alice)".contains("redacted"))
        #expect("\(Self.alice.material)" == "KeyMaterial(redacted)")
    }
}
