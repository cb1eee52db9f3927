import Crypto

/// An upload a relay node of a shared vault has acknowledged, kept in the store until a worker on
/// any node makes its take (FORMAT.md §10): cut into segments sealed under a key of its own, and a
/// seal object — written last — holding that key wrapped by the master key, with the upload's
/// length, segment count and SHA-256.
///
/// The upload key is random per upload, so the segments' counter nonces never repeat under a key;
/// the seal is what makes a staged upload exist (segments without one are an upload still arriving
/// or abandoned), and binds owner, job and master key id, so a seal copied to another job or owner
/// fails to open. A reader checks the segment count, the length and the hash: a segment dropped,
/// swapped or truncated fails.
public enum StagedUploadFormat {
    /// Plaintext bytes per segment (the last is shorter).
    public static let segmentSize = 4 << 20
    /// The most segments a seal may name: the relay's largest upload is far below
    /// `maximumSegments × segmentSize` (64 GiB).
    public static let maximumSegments = 16_384
    static let segmentMagic = Array("TVS1".utf8)
    static let sealMagic = Array("TVU1".utf8)
    /// The seal's sealed body: upload key (32) ‖ u64(bytes) ‖ u32(segments) ‖ SHA-256 (32).
    static let sealBodySize = 32 + 8 + 4 + 32
    /// Every seal object's length: magic, master key id, nonce, body, tag.
    public static let sealSize = 4 + 8 + 12 + sealBodySize + 16
    /// Overhead of a segment object over its plaintext: magic and tag.
    public static let segmentOverhead = 4 + 16

    /// What a seal holds.
    public struct Seal: Sendable, Equatable {
        /// The upload's own key.
        public var key: KeyMaterial
        /// The upload's length in bytes.
        public var bytes: Int64
        /// How many segments it was cut into: `ceil(bytes / segmentSize)`.
        public var segments: Int
        /// SHA-256 of the whole upload.
        public var sha256: [UInt8]

        public init(key: KeyMaterial, bytes: Int64, segments: Int, sha256: [UInt8]) {
            self.key = key
            self.bytes = bytes
            self.segments = segments
            self.sha256 = sha256
        }
    }

    /// The segment count of an upload of `bytes` bytes.
    public static func segmentCount(bytes: Int64) -> Int {
        Int((bytes + Int64(segmentSize) - 1) / Int64(segmentSize))
    }

    // MARK: The seal object

    static func sealAssociatedData(owner: String, job: String, masterKeyID: [UInt8]) -> [UInt8] {
        Array(KeyLabels.stagingSeal.utf8) + .lengthPrefixed(Array(owner.utf8)) + .lengthPrefixed(Array(job.utf8)) + masterKeyID
    }

    /// `"TVU1" ‖ master key id (8) ‖ nonce (12) ‖ AEAD_W'(nonce, body, aad) (76 + 16)`, with
    /// `W' = derive(M, "takevault/v1/wrap-upload-key")`. `nonce` is random unless given (test vectors).
    public static func sealObject(_ seal: Seal, owner: String, job: String, under master: MasterKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(seal.sha256.count == 32 && seal.segments >= 0 && seal.bytes >= 0)
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let body = seal.key.bytes + bigEndian64(UInt64(seal.bytes)) + .bigEndian(UInt32(seal.segments)) + seal.sha256
        let box = try AES.GCM.seal(body, using: master.material.derive(KeyLabels.wrapUploadKey).symmetricKey, nonce: AES.GCM.Nonce(data: nonceBytes),
                                   authenticating: sealAssociatedData(owner: owner, job: job, masterKeyID: master.id))
        return sealMagic + master.id + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// The master key id a seal object names, or `nil` when it is not a seal.
    public static func masterKeyID(ofSeal object: [UInt8]) -> [UInt8]? {
        object.count == sealSize && object.starts(with: sealMagic) ? Array(object[4..<12]) : nil
    }

    /// Opens a seal object with the master key it names (found by `masterKey(id)`), checking that
    /// what it states is consistent: the count matches the length, within ``maximumSegments``.
    public static func openSeal(_ object: [UInt8], owner: String, job: String, objectName: String,
                                masterKey: ([UInt8]) -> MasterKey?) throws -> Seal {
        guard let id = masterKeyID(ofSeal: object) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a \(sealSize)-byte TVU1 staging seal")
        }
        guard let master = masterKey(id) else {
            throw ArchiveError.masterKeyUnavailable(detail: "\(objectName) is wrapped under master key \(id.hex), which this node's key ring does not hold")
        }
        let body: [UInt8]
        do {
            let tagStart = object.count - 16
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: object[12..<24]), ciphertext: object[24..<tagStart], tag: object[tagStart...])
            body = Array(try AES.GCM.open(box, using: master.material.derive(KeyLabels.wrapUploadKey).symmetricKey,
                                          authenticating: sealAssociatedData(owner: owner, job: job, masterKeyID: id)))
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        let bytes = body[32..<40].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let segments = body[40..<44].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard bytes <= UInt64(maximumSegments) * UInt64(segmentSize), Int(segments) == segmentCount(bytes: Int64(bytes)) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "states \(segments) segments for \(bytes) bytes")
        }
        return Seal(key: KeyMaterial(bytes: Array(body[0..<32])), bytes: Int64(bytes), segments: Int(segments), sha256: Array(body[44..<76]))
    }

    // MARK: Segments

    static func segmentKey(_ uploadKey: KeyMaterial, owner: String, job: String) -> KeyMaterial {
        uploadKey.derive(KeyLabels.stagingSegment, context: .lengthPrefixed(Array(owner.utf8)) + .lengthPrefixed(Array(job.utf8)))
    }

    static func segmentNonce(_ index: Int) -> [UInt8] { [0, 0, 0, 0] + bigEndian64(UInt64(index)) }

    static func segmentAssociatedData(_ index: Int) -> [UInt8] { Array(KeyLabels.stagingSegment.utf8) + bigEndian64(UInt64(index)) }

    /// A segment object: `"TVS1" ‖ AEAD_S(nonce = u32(0) ‖ u64(index), plaintext, aad)`, with
    /// `S = derive(upload key, "takevault/v1/staging-segment", lp(owner) ‖ lp(job))` and
    /// `aad = "takevault/v1/staging-segment" ‖ u64(index)`.
    public static func sealSegment(_ plaintext: UnsafeRawBufferPointer, index: Int, owner: String, job: String, key: KeyMaterial) throws -> [UInt8] {
        let segmentKey = segmentKey(key, owner: owner, job: job)
        var object = [UInt8](repeating: 0, count: plaintext.count + segmentOverhead)
        object.replaceSubrange(0..<4, with: segmentMagic)
        try segmentKey.bytes.withUnsafeBytes { keyBytes in
            try object.withUnsafeMutableBytes { output in
                do {
                    try ChunkCipher.seal(key: keyBytes, nonce: segmentNonce(index), associatedData: segmentAssociatedData(index), plaintext: plaintext,
                                         ciphertext: UnsafeMutableRawBufferPointer(rebasing: output[4..<(4 + plaintext.count)]),
                                         tag: UnsafeMutableRawBufferPointer(rebasing: output[(4 + plaintext.count)...]))
                } catch {
                    throw ArchiveError.malformedObject(object: "staging segment \(index)", detail: "cannot be sealed")
                }
            }
        }
        return object
    }

    /// The plaintext of segment `index`; fails unless the object opens under the upload's key at
    /// that index and holds `expectedBytes` bytes.
    public static func openSegment(_ object: [UInt8], index: Int, expectedBytes: Int, owner: String, job: String, key: KeyMaterial,
                                   objectName: String) throws -> [UInt8] {
        guard object.count == expectedBytes + segmentOverhead, object.starts(with: segmentMagic) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a TVS1 segment of \(expectedBytes) bytes")
        }
        let segmentKey = segmentKey(key, owner: owner, job: job)
        var plaintext = [UInt8](repeating: 0, count: expectedBytes)
        do {
            try segmentKey.bytes.withUnsafeBytes { keyBytes in
                try object.withUnsafeBytes { input in
                    try plaintext.withUnsafeMutableBytes { output in
                        try ChunkCipher.open(key: keyBytes, nonce: segmentNonce(index), associatedData: segmentAssociatedData(index),
                                             ciphertext: UnsafeRawBufferPointer(rebasing: input[4..<(4 + expectedBytes)]),
                                             tag: UnsafeRawBufferPointer(rebasing: input[(4 + expectedBytes)...]), plaintext: output)
                    }
                }
            }
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        return plaintext
    }

    static func bigEndian64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
}
