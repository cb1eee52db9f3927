import Crypto
import TakevaultCore

/// A take's own data key (format 3, FORMAT.md §9): the take's chunk ids, chunk keys and manifest
/// keys derive from it, so deleting its one key object shreds the take — and, once the owner's
/// take-wrapping key that wrapped it has been replaced and the master key rotated, in every earlier
/// copy of the store too. Never prints itself.
public struct TakeKey: Sendable, CustomStringConvertible {
    public let owner: String
    public let takeID: String
    public let material: KeyMaterial

    public init(owner: String, takeID: String, material: KeyMaterial) {
        self.owner = owner
        self.takeID = takeID
        self.material = material
    }

    /// A new random key for take `takeID` of `owner`.
    public static func generate(owner: String, takeID: String) throws -> TakeKey {
        try Identifier.validate(owner, kind: "owner id")
        try Identifier.validate(takeID, kind: "take id")
        return TakeKey(owner: owner, takeID: takeID, material: .random())
    }

    public var description: String { "TakeKey(owner: \(owner), take: \(takeID), redacted)" }

    /// The keys the take's chunks are sealed under.
    public var chunkKeys: ChunkKeys {
        ChunkKeys(owner: owner, idKey: material.derive(KeyLabels.takeChunkID).symmetricKey, sealRoot: material,
                  sealLabel: KeyLabels.takeChunkSeal, associatedDataLabel: KeyLabels.takeChunk)
    }

    /// The key of the take's manifest of `generation`.
    func manifestKey(generation: Int) -> SymmetricKey {
        material.derive(KeyLabels.takeManifestSeal, context: .bigEndian(UInt32(generation))).symmetricKey
    }

    // MARK: The take key object (FORMAT.md §9)

    static let objectMagic = Array("TVT1".utf8)
    /// The length of every take key object.
    public static let objectSize = 4 + 4 + 12 + 32 + 16

    static func wrapAssociatedData(owner: String, takeID: String, version: Int) -> [UInt8] {
        Array(KeyLabels.takeKeyObject.utf8) + .lengthPrefixed(Array(owner.utf8)) + .lengthPrefixed(Array(takeID.utf8)) + .bigEndian(UInt32(version))
    }

    static func wrappingKey(_ ownerKey: OwnerKey, objectName: String) throws -> SymmetricKey {
        guard let wrapping = ownerKey.takeWrapping else {
            throw ArchiveError.malformedObject(object: objectName, detail: "owner key version \(ownerKey.version) has no take-wrapping key (a format-1 key)")
        }
        return wrapping.derive(KeyLabels.wrapTakeKey).symmetricKey
    }

    /// The key object: `TVT1 | owner key version (u32 BE) | nonce (12) | sealed key (32) | tag (16)`,
    /// sealed under `ownerKey`'s take-wrapping key. `nonce` is random unless given (test vectors).
    public func wrapped(under ownerKey: OwnerKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(ownerKey.owner == owner, "a take key wrapped under another owner's key")
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let box = try AES.GCM.seal(
            material.bytes, using: Self.wrappingKey(ownerKey, objectName: "key of take \(takeID)"), nonce: AES.GCM.Nonce(data: nonceBytes),
            authenticating: Self.wrapAssociatedData(owner: owner, takeID: takeID, version: ownerKey.version))
        return Self.objectMagic + .bigEndian(UInt32(ownerKey.version)) + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// The owner key version a take key object says it was wrapped under, or `nil` when `object`
    /// is not a take key object.
    public static func ownerKeyVersion(of object: [UInt8]) -> Int? {
        guard object.count == objectSize, object.starts(with: objectMagic) else { return nil }
        return Int(UInt32(object[4]) << 24 | UInt32(object[5]) << 16 | UInt32(object[6]) << 8 | UInt32(object[7]))
    }

    /// Opens take `takeID`'s key object with the owner key of the version it names
    /// (``ownerKeyVersion(of:)``). The owner and take come from where the object was found: one
    /// copied to another take's or owner's name does not open. `objectName` is for error messages.
    public static func unwrap(_ object: [UInt8], takeID: String, under ownerKey: OwnerKey, objectName: String) throws -> TakeKey {
        guard let version = ownerKeyVersion(of: object) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a \(objectSize)-byte TVT1 take key object")
        }
        guard version == ownerKey.version else { throw ArchiveError.authenticationFailed(object: objectName) }
        let wrapping = try wrappingKey(ownerKey, objectName: objectName)
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: object[8..<20]), ciphertext: object[20..<52], tag: object[52...])
            let key = try AES.GCM.open(box, using: wrapping, authenticating: wrapAssociatedData(owner: ownerKey.owner, takeID: takeID, version: version))
            return TakeKey(owner: ownerKey.owner, takeID: takeID, material: KeyMaterial(bytes: Array(key)))
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
    }
}
