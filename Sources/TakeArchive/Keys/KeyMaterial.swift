import Crypto

/// 32 bytes of key material that never prints itself.
public struct KeyMaterial: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "keys are 256-bit")
        self.bytes = bytes
    }

    /// Fresh random key material from the system's CSPRNG.
    public static func random() -> KeyMaterial {
        var generator = SystemRandomNumberGenerator()
        return KeyMaterial(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    public var description: String { "KeyMaterial(redacted)" }
    public var debugDescription: String { description }

    /// HKDF-SHA256 (RFC 5869) with takevault's salt and a label (FORMAT.md §3).
    public func derive(_ label: String, context: [UInt8] = []) -> KeyMaterial {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: symmetricKey, salt: Array(KeyLabels.salt.utf8), info: Array(label.utf8) + context, outputByteCount: 32)
        return KeyMaterial(bytes: key.withUnsafeBytes { Array($0) })
    }
}

/// The HKDF labels, one per use of a key (FORMAT.md §3). Every derived key has exactly one job.
public enum KeyLabels {
    public static let salt = "takevault/v1"
    /// Master key → the key that wraps owner data keys.
    public static let wrapping = "takevault/v1/wrap-owner-key"
    /// Master key → its public identifier.
    public static let masterKeyID = "takevault/v1/master-key-id"
    /// Master key → the key that wraps the key of a staged upload (FORMAT.md §10).
    public static let wrapUploadKey = "takevault/v1/wrap-upload-key"
    /// Upload key → the key sealing its segments (FORMAT.md §10).
    public static let stagingSegment = "takevault/v1/staging-segment"
    /// The associated data's label of a staged upload's seal (FORMAT.md §10).
    public static let stagingSeal = "takevault/v1/staging-seal"
    /// Owner data key → the chunk-id (HMAC) key.
    public static let chunkID = "takevault/v1/chunk-id"
    /// Owner data key → the chunk sealing root; each chunk's key is derived from it with the chunk id.
    public static let chunkSeal = "takevault/v1/chunk-seal"
    /// Owner data key → the manifest sealing root; each manifest's key is derived with take id and generation.
    public static let manifestSeal = "takevault/v1/manifest-seal"
    /// Owner data key → the key that turns an upload's hash into its take id.
    public static let takeID = "takevault/v1/take-id"
    /// Owner data key → each owner-policy version's sealing key (derived with owner and version).
    public static let ownerPolicy = "takevault/v1/owner-policy"

    // Format 3 (FORMAT.md §9): a data key per take, wrapped under the owner's take-wrapping key.
    /// Associated-data label of a `TVK2` owner key object (stable key and take-wrapping key).
    public static let ownerKeyV3 = "takevault/v3/owner-key"
    /// Take-wrapping key → the key that seals take key objects.
    public static let wrapTakeKey = "takevault/v3/wrap-take-key"
    /// Associated-data label of a `TVT1` take key object.
    public static let takeKeyObject = "takevault/v3/take-key"
    /// Take key → the take's chunk-id (HMAC) key.
    public static let takeChunkID = "takevault/v3/chunk-id"
    /// Take key → the take's chunk sealing root (each chunk's key derived with its id).
    public static let takeChunkSeal = "takevault/v3/chunk-seal"
    /// Associated-data label of a chunk sealed under a take key.
    public static let takeChunk = "takevault/v3/chunk"
    /// Take key → the take's manifest sealing root (each generation's key derived with its number).
    public static let takeManifestSeal = "takevault/v3/manifest-seal"
}

extension Array where Element == UInt8 {
    /// A 4-byte big-endian length followed by the bytes: how variable fields enter associated data.
    static func lengthPrefixed(_ bytes: [UInt8]) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + bytes
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}
