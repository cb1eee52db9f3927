import Foundation
import TakeArchive
import TakevaultCore
import Testing
import TestSupport

/// docs/format-vectors.json, produced by an independent Python implementation of FORMAT.md
/// (scripts/format-vectors.py): takevault must produce the same bytes.
@Suite("Format test vectors")
struct FormatVectorTests {
    struct Vectors: Decodable {
        var inputs: [String: JSONValue]
        var outputs: [String: String]
    }

    static func load() throws -> Vectors {
        let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.root + "/docs/format-vectors.json"))
        return try JSONDecoder().decode(Vectors.self, from: data)
    }

    static func bytes(_ vectors: Vectors, _ key: String) -> [UInt8] { [UInt8](hex: vectors.inputs[key]!.stringValue!)! }

    @Test("master key id, wrapped owner key and take id")
    func keys() throws {
        let vectors = try Self.load()
        let master = MasterKey(material: KeyMaterial(bytes: Self.bytes(vectors, "master_key")))
        #expect(master.id.hex == vectors.outputs["master_key_id"])
        let owner = vectors.inputs["owner"]!.stringValue!
        let key = OwnerKey(owner: owner, version: 1, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")))
        let wrapped = try key.wrapped(under: master, nonce: Self.bytes(vectors, "wrap_nonce"))
        #expect(wrapped.hex == vectors.outputs["key_object"])
        let unwrapped = try OwnerKey.unwrap(wrapped, owner: owner, under: master, objectName: "vector")
        #expect(unwrapped.material == key.material)
        let upload = Self.bytes(vectors, "upload")
        #expect(key.takeID(uploadSHA256: Array(SHA256Digest.of(upload))) == vectors.outputs["take_id"])
        let relay = vectors.inputs["relay_key_id"]!.stringValue!
        #expect(key.takeID(uploadSHA256: Array(SHA256Digest.of(upload)), relay: relay) == vectors.outputs["take_id_via_relay"])
        #expect(vectors.outputs["take_id_via_relay"] != vectors.outputs["take_id"])
    }

    @Test("chunk id and sealed chunk")
    func chunk() throws {
        let vectors = try Self.load()
        let key = OwnerKey(owner: vectors.inputs["owner"]!.stringValue!, version: 1, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")))
        let sealer = ChunkSealer(key: key)
        let (id, object) = try sealer.seal(Self.bytes(vectors, "chunk_plaintext"))
        #expect(id.hex == vectors.outputs["chunk_id"])
        #expect(object.hex == vectors.outputs["chunk_object"])
        #expect(try sealer.open(object, id: id, objectName: "vector") == Self.bytes(vectors, "chunk_plaintext"))
    }

    @Test("manifest: canonical header and body, sealed")
    func manifest() throws {
        let vectors = try Self.load()
        let key = OwnerKey(owner: vectors.inputs["owner"]!.stringValue!, version: 1, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")))
        let headerText = vectors.inputs["manifest_header"]!.stringValue!, bodyText = vectors.inputs["manifest_body"]!.stringValue!
        let header = try JSONDecoder().decode(ManifestHeader.self, from: Data(headerText.utf8))
        let body = try JSONDecoder().decode(ManifestBody.self, from: Data(bodyText.utf8))
        // takevault's canonical JSON is byte-for-byte the vector's.
        #expect(String(decoding: try ManifestSealer.canonicalJSON(header), as: UTF8.self) == headerText)
        #expect(String(decoding: try ManifestSealer.canonicalJSON(body), as: UTF8.self) == bodyText)
        #expect(header.format == 2)
        let object = try ManifestSealer.seal(header: header, body: body, key: key, nonce: Self.bytes(vectors, "manifest_nonce"))
        #expect(object.hex == vectors.outputs["manifest_object"])
        let name = ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: header.generation)
        let opened = try ManifestSealer.open(object, key: key, objectName: name)
        #expect(opened.body == body)
        #expect(try ManifestSealer.readHeader(object, objectName: name) == header)
    }

    @Test("manifest format 1 (written by earlier versions) still opens, under its own name only")
    func manifestFormatOne() throws {
        let vectors = try Self.load()
        let key = OwnerKey(owner: vectors.inputs["owner"]!.stringValue!, version: 1, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")))
        let old = try #require([UInt8](hex: vectors.outputs["manifest_object_v1"]!))
        let header = try ManifestSealer.readHeader(old, objectName: "vector")
        #expect(header.format == 1)
        let name = ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: header.generation)
        #expect(try ManifestSealer.open(old, key: key, objectName: name).body.takeID == header.takeID)
        // The same bytes under another take's name, or as another generation: refused.
        for other in [ObjectNames.manifest(owner: header.owner, take: "another-take", generation: 1),
                      ObjectNames.manifest(owner: header.owner, take: header.takeID, generation: 2)] {
            #expect(throws: ArchiveError.self) { try ManifestSealer.open(old, key: key, objectName: other) }
        }
    }

    @Test("format 3: owner key with a take-wrapping key, the take's key object, a chunk and a manifest under the take key")
    func formatThree() throws {
        let vectors = try Self.load()
        let master = MasterKey(material: KeyMaterial(bytes: Self.bytes(vectors, "master_key")))
        let owner = vectors.inputs["owner"]!.stringValue!
        let version = Int(try #require(vectors.inputs["owner_key_version_v3"]?.doubleValue))
        let ownerKey = OwnerKey(owner: owner, version: version, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")),
                                takeWrapping: KeyMaterial(bytes: Self.bytes(vectors, "take_wrapping_key")))
        let keyObject = try ownerKey.wrapped(under: master, nonce: Self.bytes(vectors, "wrap_nonce_v3"))
        #expect(keyObject.hex == vectors.outputs["key_object_v3"])
        #expect(keyObject.count == OwnerKey.keyObjectSizeV3)
        let reopened = try OwnerKey.unwrap(keyObject, owner: owner, under: master, objectName: "vector")
        #expect(reopened.material == ownerKey.material && reopened.takeWrapping == ownerKey.takeWrapping && reopened.version == version)
        // The stable key still gives the owner's take ids.
        #expect(reopened.takeID(uploadSHA256: Array(SHA256Digest.of(Self.bytes(vectors, "upload")))) == vectors.outputs["take_id"])

        let takeID = vectors.outputs["take_id"]!
        let takeKey = TakeKey(owner: owner, takeID: takeID, material: KeyMaterial(bytes: Self.bytes(vectors, "take_key")))
        let takeKeyObject = try takeKey.wrapped(under: ownerKey, nonce: Self.bytes(vectors, "take_key_nonce"))
        #expect(takeKeyObject.hex == vectors.outputs["take_key_object"])
        #expect(TakeKey.ownerKeyVersion(of: takeKeyObject) == version)
        #expect(try TakeKey.unwrap(takeKeyObject, takeID: takeID, under: reopened, objectName: "vector").material == takeKey.material)

        let sealer = ChunkSealer(takeKey: takeKey)
        let (id, chunk) = try sealer.seal(Self.bytes(vectors, "chunk_plaintext"))
        #expect(id.hex == vectors.outputs["chunk_id_v3"])
        #expect(chunk.hex == vectors.outputs["chunk_object_v3"])
        #expect(try sealer.open(chunk, id: id, objectName: "vector") == Self.bytes(vectors, "chunk_plaintext"))

        let header = try JSONDecoder().decode(ManifestHeader.self, from: Data(vectors.inputs["manifest_header_v3"]!.stringValue!.utf8))
        let body = try JSONDecoder().decode(ManifestBody.self, from: Data(vectors.inputs["manifest_body_v3"]!.stringValue!.utf8))
        #expect(header.format == ManifestSealer.takeKeyFormat)
        let manifest = try ManifestSealer.seal(header: header, body: body, takeKey: takeKey, nonce: Self.bytes(vectors, "manifest_nonce"))
        #expect(manifest.hex == vectors.outputs["manifest_object_v3"])
        let name = ObjectNames.manifest(owner: owner, take: takeID, generation: header.generation)
        #expect(try ManifestSealer.open(manifest, takeKey: takeKey, objectName: name).body == body)
    }

    @Test("owner policy object: canonical JSON, sealed, bound to its owner and version")
    func ownerPolicy() throws {
        let vectors = try Self.load()
        let owner = vectors.inputs["owner"]!.stringValue!
        let key = OwnerKey(owner: owner, version: 1, material: KeyMaterial(bytes: Self.bytes(vectors, "owner_key")))
        let text = vectors.inputs["policy_json"]!.stringValue!
        let policy = try JSONDecoder().decode(OwnerPolicy.self, from: Data(text.utf8))
        #expect(String(decoding: try ManifestSealer.canonicalJSON(policy), as: UTF8.self) == text)
        let object = try OwnerPolicySealer.seal(policy, key: key, nonce: Self.bytes(vectors, "policy_nonce"))
        #expect(object.hex == vectors.outputs["policy_object"])
        #expect(try OwnerPolicySealer.open(object, owner: owner, version: policy.version, key: key, objectName: "vector") == policy)
        // Under another version's name, or another owner's, it does not open.
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try OwnerPolicySealer.open(object, owner: owner, version: policy.version + 1, key: key, objectName: "vector")
        }
        let stranger = OwnerKey(owner: "owner-2", version: 1, material: key.material)
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try OwnerPolicySealer.open(object, owner: "owner-2", version: policy.version, key: stranger, objectName: "vector")
        }
    }
}

import Crypto

enum SHA256Digest {
    static func of(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}

extension FormatVectorTests {
    @Test("staged upload: segments under the upload's key, the seal under the master key, bound to owner and job")
    func stagedUpload() throws {
        let vectors = try Self.load()
        let master = MasterKey(material: KeyMaterial(bytes: Self.bytes(vectors, "master_key")))
        let owner = vectors.inputs["owner"]!.stringValue!
        let job = vectors.inputs["staging_job"]!.stringValue!
        let key = KeyMaterial(bytes: Self.bytes(vectors, "upload_key"))
        var objects: [[UInt8]] = []
        for index in 0..<2 {
            let plaintext = Self.bytes(vectors, "staging_segment_\(index)")
            let object = try plaintext.withUnsafeBytes { try StagedUploadFormat.sealSegment($0, index: index, owner: owner, job: job, key: key) }
            #expect(object.hex == vectors.outputs["staging_segment_object_\(index)"])
            #expect(try StagedUploadFormat.openSegment(object, index: index, expectedBytes: plaintext.count, owner: owner, job: job, key: key,
                                                       objectName: "vector") == plaintext)
            objects.append(object)
        }
        // A segment at another index, or of another job, does not open.
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try StagedUploadFormat.openSegment(objects[1], index: 0, expectedBytes: 17, owner: owner, job: job, key: key, objectName: "vector")
        }
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try StagedUploadFormat.openSegment(objects[0], index: 0, expectedBytes: 64, owner: owner, job: job + "x", key: key, objectName: "vector")
        }

        let upload = Self.bytes(vectors, "staging_segment_0")
        let seal = StagedUploadFormat.Seal(key: key, bytes: Int64(upload.count), segments: 1, sha256: SHA256Digest.of(upload))
        let object = try StagedUploadFormat.sealObject(seal, owner: owner, job: job, under: master, nonce: Self.bytes(vectors, "staging_nonce"))
        #expect(object.hex == vectors.outputs["staging_seal_object"])
        #expect(try StagedUploadFormat.openSeal(object, owner: owner, job: job, objectName: "vector") { $0 == master.id ? master : nil } == seal)
        // Moved to another job or owner, it does not open; without its master key, the node says so.
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try StagedUploadFormat.openSeal(object, owner: owner, job: "job_other", objectName: "vector") { _ in master }
        }
        #expect(throws: ArchiveError.authenticationFailed(object: "vector")) {
            try StagedUploadFormat.openSeal(object, owner: "owner-2", job: job, objectName: "vector") { _ in master }
        }
        #expect(throws: (any Error).self) { try StagedUploadFormat.openSeal(object, owner: owner, job: job, objectName: "vector") { _ in nil } }
    }
}
