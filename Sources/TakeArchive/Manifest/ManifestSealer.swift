import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Seals and opens manifests (FORMAT.md §6).
///
/// Object: `TVM1 | header length (u32 BE) | header JSON | nonce (12) | sealed body JSON | tag (16)`.
/// The body key is HKDF(owner data key, "takevault/v1/manifest-seal" ‖ take id ‖ generation), so each
/// take generation has its own key; the nonce is random; the header bytes are the associated data.
public enum ManifestSealer {
    static let magic = Array("TVM1".utf8)
    /// Largest header accepted (a real one is ~200 bytes).
    static let maximumHeader = 4_096

    /// Canonical JSON: sorted keys, no whitespace, `/` not escaped.
    public static func canonicalJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func bodyKey(_ key: OwnerKey, takeID: String, generation: Int) -> SymmetricKey {
        key.material.derive(KeyLabels.manifestSeal, context: .lengthPrefixed(Array(takeID.utf8)) + .bigEndian(UInt32(generation))).symmetricKey
    }

    static func associatedData(_ header: [UInt8]) -> [UInt8] { Array("takevault/v1/manifest".utf8) + header }

    /// Seals `body` with `header`. The nonce is random unless given (test vectors).
    public static func seal(header: ManifestHeader, body: ManifestBody, key: OwnerKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(header.owner == key.owner && header.keyVersion == key.version, "manifest sealed under the wrong key")
        return try seal(headerBytes: canonicalJSON(header), bodyBytes: canonicalJSON(body), header: header, key: key, nonce: nonce)
    }

    static func seal(headerBytes: [UInt8], bodyBytes: [UInt8], header: ManifestHeader, key: OwnerKey, nonce: [UInt8]?) throws -> [UInt8] {
        guard (1...Int(UInt32.max)).contains(header.generation), headerBytes.count <= maximumHeader else {
            throw ArchiveError.malformedObject(object: "manifest of \(header.takeID)", detail: "generation or header size out of range")
        }
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let box = try AES.GCM.seal(
            bodyBytes, using: bodyKey(key, takeID: header.takeID, generation: header.generation),
            nonce: AES.GCM.Nonce(data: nonceBytes), authenticating: associatedData(headerBytes))
        return magic + .bigEndian(UInt32(headerBytes.count)) + headerBytes + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// The header alone, without keys (and without authenticating it: a sweep's view).
    public static func readHeader(_ object: [UInt8], objectName: String) throws -> ManifestHeader {
        try split(object, objectName: objectName).header
    }

    /// Opens a manifest: authenticates the header and decrypts the body.
    public static func open(_ object: [UInt8], key: OwnerKey, objectName: String) throws -> (header: ManifestHeader, body: ManifestBody) {
        let parts = try split(object, objectName: objectName)
        guard parts.header.owner == key.owner, parts.header.keyVersion == key.version else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: parts.nonce), ciphertext: parts.ciphertext, tag: parts.tag)
            plaintext = try AES.GCM.open(
                box, using: bodyKey(key, takeID: parts.header.takeID, generation: parts.header.generation),
                authenticating: associatedData(parts.headerBytes))
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        guard let body = try? JSONDecoder().decode(ManifestBody.self, from: plaintext) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "the manifest body is not schema-1 JSON")
        }
        guard body.takeID == parts.header.takeID, body.owner == parts.header.owner, body.generation == parts.header.generation else {
            throw ArchiveError.contentMismatch(object: objectName, detail: "body and header disagree")
        }
        return (parts.header, body)
    }

    private static func split(_ object: [UInt8], objectName: String) throws
        -> (header: ManifestHeader, headerBytes: [UInt8], nonce: ArraySlice<UInt8>, ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>)
    {
        guard object.count >= 8, Array(object[0..<4]) == magic else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a TVM1 manifest")
        }
        let length = Int(UInt32(object[4]) << 24 | UInt32(object[5]) << 16 | UInt32(object[6]) << 8 | UInt32(object[7]))
        guard length <= maximumHeader, object.count >= 8 + length + 12 + 16 else {
            throw ArchiveError.malformedObject(object: objectName, detail: "header length \(length) does not fit the object")
        }
        let headerBytes = Array(object[8..<(8 + length)])
        guard let header = try? JSONDecoder().decode(ManifestHeader.self, from: Data(headerBytes)), header.format == 1 else {
            throw ArchiveError.malformedObject(object: objectName, detail: "the header is not format-1 JSON")
        }
        // The header is read before it is authenticated, and its numbers pick the body key: they
        // must fit the key derivation's u32 fields (FORMAT.md §3) before anything uses them.
        guard (1...Int(UInt32.max)).contains(header.generation), (1...Int(UInt32.max)).contains(header.keyVersion) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "generation \(header.generation) or key version \(header.keyVersion) is out of range")
        }
        let nonceStart = 8 + length
        return (header, headerBytes, object[nonceStart..<(nonceStart + 12)],
                object[(nonceStart + 12)..<(object.count - 16)], object[(object.count - 16)...])
    }
}
