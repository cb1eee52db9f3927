import TakeArchive
import Testing

/// Format 3's keys (FORMAT.md §9): what a take key object, and what is sealed under a take key,
/// opens under — and what it must not.
@Suite("Take keys (format 3)")
struct TakeKeyTests {
    let master = MasterKey(material: .random())
    let owner = "owner-1"

    func ownerKey(version: Int = 2) -> OwnerKey {
        OwnerKey(owner: owner, version: version, material: .random(), takeWrapping: .random())
    }

    @Test("a take key object opens only as its own take's, under the owner key version that wrapped it")
    func bound() throws {
        let ownerKey = ownerKey()
        let takeKey = try TakeKey.generate(owner: owner, takeID: "take-a")
        let object = try takeKey.wrapped(under: ownerKey)
        #expect(object.count == TakeKey.objectSize)
        #expect(try TakeKey.unwrap(object, takeID: "take-a", under: ownerKey, objectName: "k").material == takeKey.material)
        // Copied to another take's name, or to another owner with the same wrapping key: refused.
        #expect(throws: ArchiveError.authenticationFailed(object: "k")) {
            try TakeKey.unwrap(object, takeID: "take-b", under: ownerKey, objectName: "k")
        }
        let stranger = OwnerKey(owner: "owner-2", version: 2, material: ownerKey.material, takeWrapping: ownerKey.takeWrapping)
        #expect(throws: ArchiveError.authenticationFailed(object: "k")) {
            try TakeKey.unwrap(object, takeID: "take-a", under: stranger, objectName: "k")
        }
        // Bytes changed anywhere, or a format-1 owner key (no take-wrapping key): refused.
        for index in [0, 5, 10, 30, object.count - 1] {
            var damaged = object
            damaged[index] ^= 0x01
            #expect(throws: ArchiveError.self) { try TakeKey.unwrap(damaged, takeID: "take-a", under: ownerKey, objectName: "k") }
        }
        let formatOne = OwnerKey(owner: owner, version: 2, material: ownerKey.material)
        #expect(throws: ArchiveError.self) { try TakeKey.unwrap(object, takeID: "take-a", under: formatOne, objectName: "k") }
    }

    @Test("re-keying: the next owner key version keeps the stable key and take ids, and only it opens rewrapped take keys")
    func rekey() throws {
        let current = ownerKey()
        let next = current.nextVersion()
        #expect(next.version == current.version + 1)
        #expect(next.material == current.material)
        #expect(next.takeWrapping != current.takeWrapping)
        let upload = [UInt8](repeating: 7, count: 32)
        #expect(next.takeID(uploadSHA256: upload) == current.takeID(uploadSHA256: upload))

        let takeKey = try TakeKey.generate(owner: owner, takeID: "take-a")
        let old = try takeKey.wrapped(under: current)
        let rewrapped = try TakeKey.unwrap(old, takeID: "take-a", under: current, objectName: "k").wrapped(under: next)
        #expect(TakeKey.ownerKeyVersion(of: rewrapped) == next.version)
        #expect(try TakeKey.unwrap(rewrapped, takeID: "take-a", under: next, objectName: "k").material == takeKey.material)
        // The old object (as an earlier copy of the store holds it) names the old version: the
        // new version does not open it, even with the version field rewritten to match.
        #expect(throws: ArchiveError.authenticationFailed(object: "k")) { try TakeKey.unwrap(old, takeID: "take-a", under: next, objectName: "k") }
        var relabelled = old
        relabelled[4..<8] = rewrapped[4..<8]
        #expect(throws: ArchiveError.authenticationFailed(object: "k")) { try TakeKey.unwrap(relabelled, takeID: "take-a", under: next, objectName: "k") }

        // Both owner key formats round-trip through the master key; a master rotation keeps the take-wrapping key.
        for key in [current, next, OwnerKey(owner: owner, version: 1, material: current.material)] {
            let object = try key.wrapped(under: master)
            #expect(object.count == (key.takeWrapping == nil ? OwnerKey.keyObjectSize : OwnerKey.keyObjectSizeV3))
            let opened = try OwnerKey.unwrap(object, owner: owner, under: master, objectName: "o")
            #expect(opened.material == key.material && opened.takeWrapping == key.takeWrapping && opened.version == key.version)
            #expect(OwnerKey.masterKeyID(ofKeyObject: object) == master.id)
            #expect(throws: ArchiveError.self) { try OwnerKey.unwrap(object, owner: "owner-2", under: master, objectName: "o") }
        }
    }

    @Test("chunks and manifests under a take key open under that take's key only, never the owner's")
    func sealedUnderTakeKey() throws {
        let ownerKey = ownerKey()
        let takeA = try TakeKey.generate(owner: owner, takeID: "take-a"), takeB = try TakeKey.generate(owner: owner, takeID: "take-b")
        let plaintext = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (id, chunk) = try ChunkSealer(takeKey: takeA).seal(plaintext)
        #expect(try ChunkSealer(takeKey: takeA).open(chunk, id: id, objectName: "c") == plaintext)
        // The same content under another take, or under the owner's key, has another id and does not open.
        #expect(ChunkSealer(takeKey: takeB).id(of: plaintext) != id)
        #expect(ChunkSealer(key: ownerKey).id(of: plaintext) != id)
        #expect(throws: ArchiveError.self) { try ChunkSealer(takeKey: takeB).open(chunk, id: id, objectName: "c") }
        #expect(throws: ArchiveError.self) { try ChunkSealer(key: ownerKey).open(chunk, id: id, objectName: "c") }

        var (header, body) = SealingTests.manifest(for: ownerKey)
        header.takeID = "take-a"
        header.keyVersion = ownerKey.version
        body.takeID = "take-a"
        let manifest = try ManifestSealer.seal(header: header, body: body, takeKey: takeA)
        let name = ObjectNames.manifest(owner: owner, take: "take-a", generation: 1)
        #expect(try ManifestSealer.readHeader(manifest, objectName: name).format == ManifestSealer.takeKeyFormat)
        #expect(try ManifestSealer.open(manifest, takeKey: takeA, objectName: name).body == body)
        #expect(throws: ArchiveError.self) { try ManifestSealer.open(manifest, key: ownerKey, objectName: name) }
        #expect(throws: ArchiveError.self) { try ManifestSealer.open(manifest, takeKey: takeB, objectName: name) }
        // Moved under another generation's name, or sealed as format 2 and opened with the take key: refused.
        #expect(throws: ArchiveError.self) {
            try ManifestSealer.open(manifest, takeKey: takeA, objectName: ObjectNames.manifest(owner: owner, take: "take-a", generation: 2))
        }
        let formatTwo = try ManifestSealer.seal(header: header, body: body, key: OwnerKey(owner: owner, version: ownerKey.version, material: ownerKey.material))
        #expect(throws: ArchiveError.self) { try ManifestSealer.open(formatTwo, takeKey: takeA, objectName: name) }
    }

    @Test("opening a chunk by its tag alone, as delivery does, still refuses it moved, altered, cut or under another take")
    func tagOnlyOpen() throws {
        let takeA = try TakeKey.generate(owner: owner, takeID: "take-a"), takeB = try TakeKey.generate(owner: owner, takeID: "take-b")
        let sealer = ChunkSealer(takeKey: takeA)
        let first = (0..<6_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }, second = (0..<6_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let (firstID, firstObject) = try sealer.seal(first)
        let (secondID, secondObject) = try sealer.seal(second)
        func open(_ object: [UInt8], id: ChunkID, with sealer: ChunkSealer, count: Int = 6_000) throws -> [UInt8] {
            var plaintext = [UInt8](repeating: 0, count: count)
            try plaintext.withUnsafeMutableBytes { try sealer.open(object, id: id, objectName: "c", into: $0, checkingContentID: false) }
            return plaintext
        }
        #expect(try open(firstObject, id: firstID, with: sealer) == first)
        #expect(try open(secondObject, id: secondID, with: sealer) == second)
        #expect(throws: ArchiveError.self) { try open(secondObject, id: firstID, with: sealer) }
        #expect(throws: ArchiveError.self) { try open(firstObject, id: firstID, with: ChunkSealer(takeKey: takeB)) }
        for position in [0, 4, 100, firstObject.count - 1] {
            var altered = firstObject
            altered[position] ^= 0x01
            #expect(throws: ArchiveError.self) { try open(altered, id: firstID, with: sealer) }
        }
        #expect(throws: ArchiveError.self) { try open(Array(firstObject.dropLast(1)), id: firstID, with: sealer, count: 5_999) }
    }

    @Test("the take key object's name parses as such")
    func names() {
        let name = ObjectNames.takeKey(owner: owner, take: "take-a")
        #expect(name == "v1/owners/owner-1/takes/take-a/key")
        #expect(ObjectNames.parse(name) == .takeKey(owner: owner, take: "take-a"))
        #expect(ObjectNames.parse("v1/owners/owner-1/takes/take-a/keys") == nil)
    }
}
