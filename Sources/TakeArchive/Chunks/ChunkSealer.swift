import Crypto

/// A chunk's id: HMAC-SHA256 of its plaintext under the owner's chunk-id key (FORMAT.md §5).
/// Equal content within an owner gives equal ids (deduplication); across owners ids are unrelated.
public struct ChunkID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    public init?(hex: String) {
        guard hex.utf8.count == 64, hex == hex.lowercased(), let bytes = [UInt8](hex: hex) else { return nil }
        self.bytes = bytes
    }

    public var hex: String { bytes.hex }
    public var description: String { hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ChunkID(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a chunk id"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// The keys one chunk sealer uses: whose chunks, the chunk-id key, the root each chunk's key is
/// derived from and the labels of that derivation and of the associated data. Formats 1 and 2 take
/// them from the owner data key (FORMAT.md §5), format 3 from the take's own key (§9).
public struct ChunkKeys: Sendable {
    public let owner: String
    let idKey: SymmetricKey
    let sealRoot: KeyMaterial
    let sealLabel: String
    let associatedDataLabel: String
}

/// Seals and opens chunks (FORMAT.md §5).
///
/// Each chunk has its own key, HKDF(owner data key, "takevault/v1/chunk-seal" ‖ chunk id) — or, for
/// a take with its own key, HKDF(take key, "takevault/v3/chunk-seal" ‖ chunk id) — and the all-zero
/// nonce: a chunk key only ever encrypts the one plaintext whose id it was derived from, so no
/// (key, nonce) pair is ever used for two different messages — by construction, not by chance.
/// The owner id and chunk id are the associated data, so a chunk moved to another owner or renamed
/// fails to open. Object: `TVC1 | ciphertext | tag (16)`.
public struct ChunkSealer: Sendable {
    public let keys: ChunkKeys
    static let magic = Array("TVC1".utf8)
    public static let overhead = 4 + 16
    static let zeroNonce = [UInt8](repeating: 0, count: 12)

    public init(keys: ChunkKeys) { self.keys = keys }

    /// A sealer for chunks under the owner data key (formats 1 and 2).
    public init(key: OwnerKey) { self.init(keys: key.chunkKeys) }

    /// A sealer for one take's chunks under its own key (format 3).
    public init(takeKey: TakeKey) { self.init(keys: takeKey.chunkKeys) }

    /// The owner whose chunks this sealer seals and opens.
    public var owner: String { keys.owner }

    public func id(of plaintext: UnsafeRawBufferPointer) -> ChunkID {
        ChunkID(bytes: Array(HMAC<SHA256>.authenticationCode(for: plaintext, using: keys.idKey)))
    }

    public func id(of plaintext: [UInt8]) -> ChunkID {
        plaintext.withUnsafeBytes { id(of: $0) }
    }

    func associatedData(_ id: ChunkID) -> [UInt8] {
        Array(keys.associatedDataLabel.utf8) + .lengthPrefixed(Array(keys.owner.utf8)) + id.bytes
    }

    func chunkKey(_ id: ChunkID) -> SymmetricKey {
        keys.sealRoot.derive(keys.sealLabel, context: id.bytes).symmetricKey
    }

    /// Seals `plaintext`, returning its id and the object bytes (ciphertext written straight into
    /// the object, by OpenSSL's AES-256-GCM: see ``ChunkCipher``).
    public func seal(_ plaintext: ArraySlice<UInt8>) throws -> (id: ChunkID, object: [UInt8]) {
        let id = plaintext.withUnsafeBytes { self.id(of: $0) }
        let object = try [UInt8](unsafeUninitializedCapacity: plaintext.count + Self.overhead) { buffer, initialized in
            try seal(plaintext, id: id, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = plaintext.count + Self.overhead
        }
        return (id, object)
    }

    public func seal(_ plaintext: [UInt8]) throws -> (id: ChunkID, object: [UInt8]) {
        try seal(plaintext[...])
    }

    /// Seals `plaintext` into `object`, replacing its contents, and returns the chunk id.
    ///
    /// A caller sealing chunk after chunk passes the same array each time: once the previous object
    /// is no longer referenced elsewhere its storage is reused, so a long artefact costs one
    /// allocation and one round of first-touch page faults instead of one per chunk (for 4 MiB
    /// chunks those faults cost 15–30 % of the sealing time: `takevault-pipeline-bench --only seal`).
    public func seal(_ plaintext: ArraySlice<UInt8>, into object: inout [UInt8]) throws -> ChunkID {
        let id = plaintext.withUnsafeBytes { self.id(of: $0) }
        let size = plaintext.count + Self.overhead
        if object.count > size {
            object.removeLast(object.count - size)
        } else if object.count < size {
            object.append(contentsOf: repeatElement(0, count: size - object.count))
        }
        try object.withUnsafeMutableBytes { try seal(plaintext, id: id, into: $0) }
        return id
    }

    /// Writes the sealed object of `plaintext` (whose id is `id`) into `raw`, exactly
    /// `plaintext.count + overhead` bytes.
    private func seal(_ plaintext: ArraySlice<UInt8>, id: ChunkID, into raw: UnsafeMutableRawBufferPointer) throws {
        let count = plaintext.count
        precondition(raw.count == count + Self.overhead)
        raw.copyBytes(from: Self.magic)
        let aad = associatedData(id)
        try chunkKey(id).withUnsafeBytes { key in
            try plaintext.withUnsafeBytes { input in
                try ChunkCipher.seal(
                    key: key, nonce: Self.zeroNonce, associatedData: aad, plaintext: input,
                    ciphertext: UnsafeMutableRawBufferPointer(rebasing: raw[4..<(4 + count)]),
                    tag: UnsafeMutableRawBufferPointer(rebasing: raw[(4 + count)...]))
            }
        }
    }

    /// Opens a chunk object stored under `id`, checking the AEAD tag and that the plaintext hashes
    /// to `id`. `objectName` names the object in errors.
    public func open(_ object: [UInt8], id: ChunkID, objectName: String) throws -> [UInt8] {
        let count = try Self.plaintextCount(of: object, objectName: objectName)
        return try [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            try open(object, id: id, objectName: objectName, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[0..<count])))
            initialized = count
        }
    }

    /// The plaintext length of chunk object `object`: its length less the magic and the tag.
    public static func plaintextCount(of object: [UInt8], objectName: String) throws -> Int {
        guard object.count >= overhead, object.starts(with: magic) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a TVC1 chunk")
        }
        return object.count - overhead
    }

    /// Opens chunk object `object` as ``open(_:id:objectName:)`` does, writing the plaintext into
    /// `plaintext` (exactly ``plaintextCount(of:objectName:)`` bytes): a caller that sends it on
    /// opens it straight into the buffer it sends. On a throw, `plaintext` holds nothing to use.
    ///
    /// With `checkingContentID` false only the AEAD tag is checked. That still refuses every object
    /// not sealed under `id` by a holder of these keys — the cipher key is derived from the id and
    /// the id is in the associated data, so a chunk moved to another name, altered or forged does
    /// not open. What it gives up is the check that the sealer hashed the same plaintext it
    /// sealed, which only a writer holding the keys could get wrong; `verify --read-data` keeps it.
    public func open(_ object: [UInt8], id: ChunkID, objectName: String, into plaintext: UnsafeMutableRawBufferPointer,
                     checkingContentID: Bool = true) throws {
        let count = try Self.plaintextCount(of: object, objectName: objectName)
        guard plaintext.count == count else {
            throw ArchiveError.contentMismatch(object: objectName, detail: "\(count) bytes, \(plaintext.count) expected")
        }
        do {
            let aad = associatedData(id)
            try chunkKey(id).withUnsafeBytes { key in
                try object.withUnsafeBytes { raw in
                    try ChunkCipher.open(
                        key: key, nonce: Self.zeroNonce, associatedData: aad,
                        ciphertext: UnsafeRawBufferPointer(rebasing: raw[4..<(4 + count)]),
                        tag: UnsafeRawBufferPointer(rebasing: raw[(4 + count)...]), plaintext: plaintext)
                }
            }
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        guard !checkingContentID || self.id(of: UnsafeRawBufferPointer(plaintext)) == id else {
            throw ArchiveError.contentMismatch(object: objectName, detail: "plaintext does not hash to the chunk id")
        }
    }
}
