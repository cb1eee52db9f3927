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
/// take generation has its own key; the nonce is random. Format 2 (written now) authenticates
/// "takevault/v2/manifest" ‖ lp(owner) ‖ lp(take id) ‖ u32(generation) ‖ header bytes, where the
/// three come from the object's **name** when it is opened: a manifest copied under another take's
/// or generation's name does not open. Format 1 (read only) authenticated the header bytes alone; its
/// header is compared with the name instead. Either way, opening checks a manifest against the name
/// it was read from.
public enum ManifestSealer {
    static let magic = Array("TVM1".utf8)
    /// The header format new manifests are written in under the owner data key.
    public static let currentFormat = 2
    /// The header format of a manifest sealed under its take's own key (FORMAT.md §9).
    public static let takeKeyFormat = 3
    /// The header formats this version opens.
    static let readableFormats = 1...3
    /// Largest header accepted (a real one is ~200 bytes).
    static let maximumHeader = 4_096
    /// Largest manifest object written or opened: 64 MiB lists some 700,000 chunks, terabytes of
    /// artefacts (a 3-hour take's manifest is tens of kilobytes). Readers fetch at most one byte
    /// more, so an object swapped in for a manifest is refused without being read whole.
    public static let maximumSize = 64 << 20

    /// Canonical JSON: sorted keys, no whitespace, `/` not escaped.
    public static func canonicalJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func bodyKey(_ key: OwnerKey, takeID: String, generation: Int) -> SymmetricKey {
        key.material.derive(KeyLabels.manifestSeal, context: .lengthPrefixed(Array(takeID.utf8)) + .bigEndian(UInt32(generation))).symmetricKey
    }

    /// The owner, take and generation a manifest's object name says it is.
    public struct Name: Sendable, Equatable {
        public var owner: String
        public var takeID: String
        public var generation: Int

        public init(owner: String, takeID: String, generation: Int) {
            self.owner = owner
            self.takeID = takeID
            self.generation = generation
        }

        /// The name's parts, or `nil` when `objectName` is not a manifest's name (FORMAT.md §2).
        public init?(objectName: String) {
            guard case .manifest(let owner, let take, let generation) = ObjectNames.parse(objectName) else { return nil }
            self.init(owner: owner, takeID: take, generation: generation)
        }
    }

    static func associatedData(_ header: [UInt8], format: Int, name: Name) -> [UInt8] {
        guard format >= 2 else { return Array("takevault/v1/manifest".utf8) + header }
        let label = format >= 3 ? "takevault/v3/manifest" : "takevault/v2/manifest"
        return Array(label.utf8) + .lengthPrefixed(Array(name.owner.utf8)) + .lengthPrefixed(Array(name.takeID.utf8))
            + .bigEndian(UInt32(name.generation)) + header
    }

    /// Seals `body` with `header`, in the current format. The nonce is random unless given (test vectors).
    public static func seal(header: ManifestHeader, body: ManifestBody, key: OwnerKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(header.owner == key.owner && header.keyVersion == key.version, "manifest sealed under the wrong key")
        var header = header
        header.format = currentFormat
        return try seal(headerBytes: canonicalJSON(header), bodyBytes: canonicalJSON(body), header: header, key: key, nonce: nonce)
    }

    /// Seals `body` with `header` under the take's own key, in format 3 (FORMAT.md §9).
    public static func seal(header: ManifestHeader, body: ManifestBody, takeKey: TakeKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(header.owner == takeKey.owner && header.takeID == takeKey.takeID, "manifest sealed under another take's key")
        var header = header
        header.format = takeKeyFormat
        return try seal(headerBytes: canonicalJSON(header), bodyBytes: canonicalJSON(body), header: header,
                        bodyKey: takeKey.manifestKey(generation: header.generation), nonce: nonce)
    }

    static func seal(headerBytes: [UInt8], bodyBytes: [UInt8], header: ManifestHeader, key: OwnerKey, nonce: [UInt8]?) throws -> [UInt8] {
        try seal(headerBytes: headerBytes, bodyBytes: bodyBytes, header: header,
                 bodyKey: bodyKey(key, takeID: header.takeID, generation: header.generation), nonce: nonce)
    }

    private static func seal(headerBytes: [UInt8], bodyBytes: [UInt8], header: ManifestHeader, bodyKey: SymmetricKey, nonce: [UInt8]?) throws -> [UInt8] {
        guard (1...Int(UInt32.max)).contains(header.generation), headerBytes.count <= maximumHeader else {
            throw ArchiveError.malformedObject(object: "manifest of \(header.takeID)", detail: "generation or header size out of range")
        }
        guard 8 + headerBytes.count + 12 + bodyBytes.count + 16 <= maximumSize else {
            throw ArchiveError.malformedObject(object: "manifest of \(header.takeID)", detail: "the body is larger than a manifest can be (\(maximumSize) bytes)")
        }
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let name = Name(owner: header.owner, takeID: header.takeID, generation: header.generation)
        let box = try AES.GCM.seal(
            bodyBytes, using: bodyKey,
            nonce: AES.GCM.Nonce(data: nonceBytes), authenticating: associatedData(headerBytes, format: header.format, name: name))
        return magic + .bigEndian(UInt32(headerBytes.count)) + headerBytes + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// The header alone, without keys (and without authenticating it: a sweep's view).
    public static func readHeader(_ object: [UInt8], objectName: String) throws -> ManifestHeader {
        try split(object, objectName: objectName).header
    }

    /// Opens the manifest stored as `objectName`: authenticates it against that name and its
    /// header, and decrypts the body. A name that is not a manifest's, or a header that names
    /// another owner, take or generation than the name, is refused; so is a format-3 manifest,
    /// which opens only under its take's key.
    public static func open(_ object: [UInt8], key: OwnerKey, objectName: String) throws -> (header: ManifestHeader, body: ManifestBody) {
        let parts = try split(object, objectName: objectName)
        let name = try checkedName(parts.header, objectName: objectName, owner: key.owner)
        guard parts.header.keyVersion == key.version, parts.header.format < takeKeyFormat else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        return try openBody(parts, name: name, bodyKey: bodyKey(key, takeID: name.takeID, generation: name.generation), objectName: objectName)
    }

    /// Opens a format-3 manifest stored as `objectName` under its take's key, with the same checks
    /// against the name as ``open(_:key:objectName:)``.
    public static func open(_ object: [UInt8], takeKey: TakeKey, objectName: String) throws -> (header: ManifestHeader, body: ManifestBody) {
        let parts = try split(object, objectName: objectName)
        let name = try checkedName(parts.header, objectName: objectName, owner: takeKey.owner)
        guard parts.header.format == takeKeyFormat, name.takeID == takeKey.takeID else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        return try openBody(parts, name: name, bodyKey: takeKey.manifestKey(generation: name.generation), objectName: objectName)
    }

    /// The name's parts, once the name is a manifest's of `owner` and agrees with the header.
    private static func checkedName(_ header: ManifestHeader, objectName: String, owner: String) throws -> Name {
        guard let name = Name(objectName: objectName) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a manifest's object name")
        }
        guard header.owner == owner, name.owner == owner else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        guard header.owner == name.owner, header.takeID == name.takeID, header.generation == name.generation else {
            throw ArchiveError.contentMismatch(object: objectName,
                                               detail: "the manifest is \(header.owner)/\(header.takeID) generation \(header.generation), stored under another take's or generation's name")
        }
        return name
    }

    private static func openBody(_ parts: (header: ManifestHeader, headerBytes: [UInt8], nonce: ArraySlice<UInt8>, ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>),
                                 name: Name, bodyKey: SymmetricKey, objectName: String) throws -> (header: ManifestHeader, body: ManifestBody) {
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: parts.nonce), ciphertext: parts.ciphertext, tag: parts.tag)
            plaintext = try AES.GCM.open(box, using: bodyKey, authenticating: associatedData(parts.headerBytes, format: parts.header.format, name: name))
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
        guard object.count <= maximumSize else {
            throw ArchiveError.malformedObject(object: objectName, detail: "\(object.count) bytes, more than a manifest can have (\(maximumSize))")
        }
        let length = Int(UInt32(object[4]) << 24 | UInt32(object[5]) << 16 | UInt32(object[6]) << 8 | UInt32(object[7]))
        guard length <= maximumHeader, object.count >= 8 + length + 12 + 16 else {
            throw ArchiveError.malformedObject(object: objectName, detail: "header length \(length) does not fit the object")
        }
        let headerBytes = Array(object[8..<(8 + length)])
        guard let header = try? JSONDecoder().decode(ManifestHeader.self, from: Data(headerBytes)), readableFormats.contains(header.format) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "the header is not format-1 or format-2 JSON")
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
