@testable import TakeArchive
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Opening what the store hands back — manifests, chunks, owner and take key objects, policy objects — with the right keys
/// (the format's test vectors, docs/format-vectors.json), so mutated headers and ciphertext meet
/// every check a real vault applies. The first byte picks a mode: 0 opens the rest as an object;
/// 1 seals the rest first (a writer holding the key: what lies behind authentication is fuzzed too).
enum ArchiveFuzzing {
    static let masterKey = MasterKey(material: KeyMaterial(bytes: Array(0x00...0x1f)))
    static let owner = "owner-1"
    static let ownerKey = OwnerKey(owner: owner, version: 1, material: KeyMaterial(bytes: Array(0x20...0x3f)))
    static let objectName = "v1/owners/owner-1/fuzz"
    /// Format 3's keys from the vectors: owner key version 2 with its take-wrapping key, and the
    /// vector take's own key (FORMAT.md §9).
    static let ownerKeyV3 = OwnerKey(owner: owner, version: 2, material: KeyMaterial(bytes: Array(0x20...0x3f)),
                                     takeWrapping: KeyMaterial(bytes: Array(0x70...0x8f)))
    static let vectorTake = "c89a3672bceb47563465acb44b438e9a"
    static let takeKey = TakeKey(owner: owner, takeID: vectorTake, material: KeyMaterial(bytes: Array(0xa0...0xbf)))

    static func manifest(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if mode & 1 == 0 {
            // Opened under the name its own header gives (so mutations reach authentication), and
            // under the vector's name (so a header naming another take is refused, not trusted).
            let header = try? ManifestSealer.readHeader(rest, objectName: objectName)
            if let header, Identifier.isValid(header.owner), Identifier.isValid(header.takeID) {
                let name = ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: header.generation)
                _ = try? ManifestSealer.open(rest, key: ownerKey, objectName: name)
                _ = try? ManifestSealer.open(rest, takeKey: takeKey, objectName: name)
            }
            _ = try? ManifestSealer.open(rest, key: ownerKey, objectName: vectorManifestName)
            _ = try? ManifestSealer.open(rest, takeKey: takeKey, objectName: vectorManifestName)
            return
        }
        // Header JSON, a NUL, body JSON: sealed as a key holder would, then opened.
        let parts = rest.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let header = try? JSONDecoder().decode(ManifestHeader.self, from: Data(parts[0])),
              let object = try? ManifestSealer.seal(headerBytes: Array(parts[0]), bodyBytes: Array(parts[1]), header: header, key: ownerKey,
                                                     nonce: Array(repeating: 1, count: 12))
        else { return }
        if Identifier.isValid(header.takeID) {
            _ = try? ManifestSealer.open(object, key: ownerKey, objectName: ObjectNames.manifest(owner: owner, take: header.takeID, generation: header.generation))
        }
    }

    /// The test vector's manifest name (docs/format-vectors.json: owner-1's take, generation 1).
    static let vectorManifestName = "v1/owners/owner-1/takes/\(vectorTake)/manifest-000001"

    static func chunk(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        let sealer = ChunkSealer(key: ownerKey)
        if mode & 1 == 0 {
            // The id the name would carry: the vector's, or the first 32 bytes of the input.
            let id = ChunkID(bytes: rest.count >= 32 ? Array(rest.prefix(32)) : Array(repeating: 0, count: 32))
            for sealer in [sealer, ChunkSealer(takeKey: takeKey)] {
                _ = try? sealer.open(rest, id: id, objectName: objectName)
                _ = try? sealer.open(Array(rest.dropFirst(min(32, rest.count))), id: id, objectName: objectName)
            }
            return
        }
        guard let sealed = try? sealer.seal(rest) else { preconditionFailure("sealing \(rest.count) bytes failed") }
        let opened = try? sealer.open(sealed.object, id: sealed.id, objectName: objectName)
        precondition(opened == rest, "a sealed chunk did not open to its plaintext")
    }

    /// Mode 0 opens the rest as the owner's policy version 2 (the vector's name); mode 1 decodes
    /// the rest as policy JSON, seals it and checks it opens to the same policy.
    static func policy(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if mode & 1 == 0 {
            _ = try? OwnerPolicySealer.keyVersion(rest, objectName: objectName)
            _ = try? OwnerPolicySealer.open(rest, owner: owner, version: 2, key: ownerKey, objectName: objectName)
            return
        }
        guard var policy = try? JSONDecoder().decode(OwnerPolicy.self, from: Data(rest)) else { return }
        policy.owner = owner
        guard let sealed = try? OwnerPolicySealer.seal(policy, key: ownerKey, nonce: Array(repeating: 1, count: 12)) else { return }
        let opened = try? OwnerPolicySealer.open(sealed, owner: owner, version: policy.version, key: ownerKey, objectName: objectName)
        precondition(policy.schema != 1 || opened == policy, "a sealed policy did not open to itself")
    }

    static func keyObject(_ bytes: [UInt8]) {
        _ = OwnerKey.masterKeyID(ofKeyObject: bytes)
        _ = try? OwnerKey.unwrap(bytes, owner: owner, under: masterKey, objectName: objectName)
        _ = TakeKey.ownerKeyVersion(of: bytes)
        _ = try? TakeKey.unwrap(bytes, takeID: vectorTake, under: ownerKeyV3, objectName: objectName)
        _ = try? MasterKey(fileContents: bytes)
    }
}
