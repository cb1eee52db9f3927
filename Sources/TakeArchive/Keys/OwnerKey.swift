import Crypto
import TakevaultCore

/// An owner's data key and the keys derived from it (FORMAT.md §3). Everything of one owner is
/// sealed under keys derived from this one; destroying its wrapped copies makes all of it
/// unreadable (crypto-shredding). Never prints itself.
public struct OwnerKey: Sendable, CustomStringConvertible {
    public let owner: String
    public let version: Int
    public let material: KeyMaterial
    let chunkIDKey: SymmetricKey
    let takeIDKey: SymmetricKey

    public init(owner: String, version: Int, material: KeyMaterial) {
        self.owner = owner
        self.version = version
        self.material = material
        chunkIDKey = material.derive(KeyLabels.chunkID).symmetricKey
        takeIDKey = material.derive(KeyLabels.takeID).symmetricKey
    }

    /// A new random data key for `owner`.
    public static func generate(owner: String, version: Int = 1) throws -> OwnerKey {
        try Identifier.validate(owner, kind: "owner id")
        return OwnerKey(owner: owner, version: version, material: .random())
    }

    public var description: String { "OwnerKey(owner: \(owner), version: \(version), redacted)" }

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

    // MARK: Wrapping (FORMAT.md §4.2)

    static let keyObjectMagic = Array("TVK1".utf8)
    /// The length of every key object (FORMAT.md §4.2).
    public static let keyObjectSize = 4 + 8 + 4 + 12 + 32 + 16

    static func wrapAssociatedData(owner: String, version: Int, masterKeyID: [UInt8]) -> [UInt8] {
        Array("takevault/v1/owner-key".utf8) + .lengthPrefixed(Array(owner.utf8)) + .bigEndian(UInt32(version)) + masterKeyID
    }

    /// The key object: `TVK1 | master key id (8) | version (u32 BE) | nonce (12) | sealed key (32) | tag (16)`.
    /// `nonce` is random unless given (test vectors).
    public func wrapped(under master: MasterKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let box = try AES.GCM.seal(
            material.bytes, using: master.wrappingKey.symmetricKey, nonce: AES.GCM.Nonce(data: nonceBytes),
            authenticating: Self.wrapAssociatedData(owner: owner, version: version, masterKeyID: master.id))
        return Self.keyObjectMagic + master.id + .bigEndian(UInt32(version)) + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// Opens a key object. `objectName` is only for error messages.
    public static func unwrap(_ object: [UInt8], owner: String, under master: MasterKey, objectName: String) throws -> OwnerKey {
        guard object.count == keyObjectSize, Array(object[0..<4]) == keyObjectMagic else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a \(keyObjectSize)-byte TVK1 key object")
        }
        let masterID = Array(object[4..<12])
        guard masterID == master.id else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        let version = Int(UInt32(object[12]) << 24 | UInt32(object[13]) << 16 | UInt32(object[14]) << 8 | UInt32(object[15]))
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: object[16..<28]), ciphertext: object[28..<60], tag: object[60..<76])
            let key = try AES.GCM.open(box, using: master.wrappingKey.symmetricKey,
                                       authenticating: wrapAssociatedData(owner: owner, version: version, masterKeyID: masterID))
            return OwnerKey(owner: owner, version: version, material: KeyMaterial(bytes: Array(key)))
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
    }

    /// The master key id a key object was wrapped under, without opening it.
    public static func masterKeyID(ofKeyObject object: [UInt8]) -> [UInt8]? {
        object.count == keyObjectSize && Array(object[0..<4]) == keyObjectMagic ? Array(object[4..<12]) : nil
    }
}
