import Crypto
import TakevaultCore

/// An owner's data key and the keys derived from it (FORMAT.md §3). Everything of one owner is
/// sealed under keys derived from this one; destroying its wrapped copies makes all of it
/// unreadable (crypto-shredding). Never prints itself.
///
/// A format-3 key (FORMAT.md §9, a `TVK2` object) also holds a take-wrapping key: `material` is
/// then the owner's stable key (take ids, policies, and the takes of formats 1 and 2), and the
/// take-wrapping key, fresh for every version, wraps the data keys of the owner's format-3 takes.
public struct OwnerKey: Sendable, CustomStringConvertible {
    public let owner: String
    public let version: Int
    public let material: KeyMaterial
    /// The key that wraps this owner's take keys under this version, or `nil` for a format-1 key.
    public let takeWrapping: KeyMaterial?
    let chunkIDKey: SymmetricKey
    let takeIDKey: SymmetricKey

    public init(owner: String, version: Int, material: KeyMaterial, takeWrapping: KeyMaterial? = nil) {
        self.owner = owner
        self.version = version
        self.material = material
        self.takeWrapping = takeWrapping
        chunkIDKey = material.derive(KeyLabels.chunkID).symmetricKey
        takeIDKey = material.derive(KeyLabels.takeID).symmetricKey
    }

    /// A new random key for `owner`: a stable key and a take-wrapping key (a format-3 key).
    public static func generate(owner: String, version: Int = 1) throws -> OwnerKey {
        try Identifier.validate(owner, kind: "owner id")
        return OwnerKey(owner: owner, version: version, material: .random(), takeWrapping: .random())
    }

    /// The next version of this key: the same stable key, a fresh take-wrapping key (FORMAT.md §9,
    /// re-keying). Take keys wrapped under this version must be rewrapped under the next before
    /// this version's key objects are destroyed.
    public func nextVersion() -> OwnerKey {
        OwnerKey(owner: owner, version: version + 1, material: material, takeWrapping: .random())
    }

    public var description: String { "OwnerKey(owner: \(owner), version: \(version), redacted)" }

    /// The keys chunks are sealed under in formats 1 and 2 (FORMAT.md §5).
    public var chunkKeys: ChunkKeys {
        ChunkKeys(owner: owner, idKey: chunkIDKey, sealRoot: material, sealLabel: KeyLabels.chunkSeal,
                  associatedDataLabel: "takevault/v1/chunk")
    }

    /// The take id of an upload (FORMAT.md §3): the first 16 bytes of HMAC-SHA256(take-id key,
    /// SHA-256 of the upload), as 32 hex digits — followed in the MAC's input by `lp(relay key id)`
    /// when the upload came through a relay. The same upload for the same owner from the same
    /// source always gives the same take; two relays sending the same audio get two takes, so
    /// neither learns of the other's; other owners (and anyone without the key) cannot link a take
    /// to the upload's content.
    public func takeID(uploadSHA256: [UInt8], relay: String? = nil) -> String {
        let input = uploadSHA256 + (relay.map { .lengthPrefixed(Array($0.utf8)) } ?? [])
        let code = HMAC<SHA256>.authenticationCode(for: input, using: takeIDKey)
        return Array(code.prefix(16)).hex
    }

    // MARK: Wrapping (FORMAT.md §4.2, §9)

    static let keyObjectMagic = Array("TVK1".utf8)
    static let keyObjectMagicV3 = Array("TVK2".utf8)
    /// The length of every format-1 key object (FORMAT.md §4.2).
    public static let keyObjectSize = 4 + 8 + 4 + 12 + 32 + 16
    /// The length of every format-3 key object: two keys sealed instead of one (FORMAT.md §9).
    public static let keyObjectSizeV3 = 4 + 8 + 4 + 12 + 64 + 16
    /// The most a key object of any format can be: what readers fetch at most.
    public static let largestKeyObjectSize = max(keyObjectSize, keyObjectSizeV3)

    static func wrapAssociatedData(owner: String, version: Int, masterKeyID: [UInt8], format3: Bool) -> [UInt8] {
        Array((format3 ? KeyLabels.ownerKeyV3 : "takevault/v1/owner-key").utf8) + .lengthPrefixed(Array(owner.utf8))
            + .bigEndian(UInt32(version)) + masterKeyID
    }

    /// The key object: `TVK1 | master key id (8) | version (u32 BE) | nonce (12) | sealed key (32) | tag (16)`,
    /// or with a take-wrapping key `TVK2 | … | sealed stable key ‖ take-wrapping key (64) | tag (16)`.
    /// `nonce` is random unless given (test vectors).
    public func wrapped(under master: MasterKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let format3 = takeWrapping != nil
        let box = try AES.GCM.seal(
            material.bytes + (takeWrapping?.bytes ?? []), using: master.wrappingKey.symmetricKey, nonce: AES.GCM.Nonce(data: nonceBytes),
            authenticating: Self.wrapAssociatedData(owner: owner, version: version, masterKeyID: master.id, format3: format3))
        return (format3 ? Self.keyObjectMagicV3 : Self.keyObjectMagic) + master.id + .bigEndian(UInt32(version)) + nonceBytes
            + Array(box.ciphertext) + Array(box.tag)
    }

    /// Opens a key object of either format. `objectName` is only for error messages.
    public static func unwrap(_ object: [UInt8], owner: String, under master: MasterKey, objectName: String) throws -> OwnerKey {
        let format3: Bool
        if object.count == keyObjectSize, object.starts(with: keyObjectMagic) {
            format3 = false
        } else if object.count == keyObjectSizeV3, object.starts(with: keyObjectMagicV3) {
            format3 = true
        } else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a \(keyObjectSize)-byte TVK1 or \(keyObjectSizeV3)-byte TVK2 key object")
        }
        let masterID = Array(object[4..<12])
        guard masterID == master.id else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        let version = Int(UInt32(object[12]) << 24 | UInt32(object[13]) << 16 | UInt32(object[14]) << 8 | UInt32(object[15]))
        let sealedEnd = object.count - 16
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: object[16..<28]), ciphertext: object[28..<sealedEnd], tag: object[sealedEnd...])
            let keys = Array(try AES.GCM.open(box, using: master.wrappingKey.symmetricKey,
                                              authenticating: wrapAssociatedData(owner: owner, version: version, masterKeyID: masterID, format3: format3)))
            return OwnerKey(owner: owner, version: version, material: KeyMaterial(bytes: Array(keys[0..<32])),
                            takeWrapping: format3 ? KeyMaterial(bytes: Array(keys[32..<64])) : nil)
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
    }

    /// The master key id a key object was wrapped under, without opening it.
    public static func masterKeyID(ofKeyObject object: [UInt8]) -> [UInt8]? {
        let known = (object.count == keyObjectSize && object.starts(with: keyObjectMagic))
            || (object.count == keyObjectSizeV3 && object.starts(with: keyObjectMagicV3))
        return known ? Array(object[4..<12]) : nil
    }
}
