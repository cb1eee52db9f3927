import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Seals and opens owner-policy objects (FORMAT.md §8).
///
/// Object: `TVP1 | key version (u32 BE) | nonce (12) | sealed policy JSON | tag (16)`. The key is
/// HKDF(owner data key, "takevault/v1/owner-policy" ‖ owner ‖ version); the associated data is
/// "takevault/v1/owner-policy" ‖ owner ‖ version ‖ key version, so a policy object opens only under
/// the name it was written to: copying an older version over a newer one, or one owner's over
/// another's, fails authentication.
public enum OwnerPolicySealer {
    static let magic = Array("TVP1".utf8)
    static let label = KeyLabels.ownerPolicy
    /// Largest policy object accepted: far beyond any real one (a few hundred bytes per hold).
    public static let maximumSize = 1 << 20

    static func context(owner: String, version: Int) -> [UInt8] {
        .lengthPrefixed(Array(owner.utf8)) + .bigEndian(UInt32(version))
    }

    static func sealingKey(_ key: OwnerKey, version: Int) -> SymmetricKey {
        key.material.derive(label, context: context(owner: key.owner, version: version)).symmetricKey
    }

    static func associatedData(owner: String, version: Int, keyVersion: Int) -> [UInt8] {
        Array(label.utf8) + context(owner: owner, version: version) + .bigEndian(UInt32(keyVersion))
    }

    /// Seals `policy` under the owner's `key`. The nonce is random unless given (test vectors).
    public static func seal(_ policy: OwnerPolicy, key: OwnerKey, nonce: [UInt8]? = nil) throws -> [UInt8] {
        precondition(policy.owner == key.owner, "owner policy sealed under another owner's key")
        guard (1...Int(UInt32.max)).contains(policy.version) else {
            throw ArchiveError.malformedObject(object: "policy of \(policy.owner)", detail: "version \(policy.version) out of range")
        }
        let nonceBytes = nonce ?? (0..<12).map { _ in UInt8.random(in: .min ... .max) }
        let box = try AES.GCM.seal(
            ManifestSealer.canonicalJSON(policy), using: sealingKey(key, version: policy.version), nonce: AES.GCM.Nonce(data: nonceBytes),
            authenticating: associatedData(owner: policy.owner, version: policy.version, keyVersion: key.version))
        return magic + .bigEndian(UInt32(key.version)) + nonceBytes + Array(box.ciphertext) + Array(box.tag)
    }

    /// The key version a policy object says it was sealed under (not yet authenticated).
    public static func keyVersion(_ object: [UInt8], objectName: String) throws -> Int {
        guard object.count >= 4 + 4 + 12 + 16, object.count <= maximumSize, Array(object[0..<4]) == magic else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a TVP1 owner-policy object")
        }
        let version = Int(UInt32(object[4]) << 24 | UInt32(object[5]) << 16 | UInt32(object[6]) << 8 | UInt32(object[7]))
        guard version >= 1 else { throw ArchiveError.malformedObject(object: objectName, detail: "key version 0") }
        return version
    }

    /// Opens the policy object stored as version `version` of `owner` (both from its name).
    public static func open(_ object: [UInt8], owner: String, version: Int, key: OwnerKey, objectName: String) throws -> OwnerPolicy {
        guard try keyVersion(object, objectName: objectName) == key.version, key.owner == owner,
              (1...Int(UInt32.max)).contains(version) else {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: object[8..<20]), ciphertext: object[20..<(object.count - 16)],
                                            tag: object[(object.count - 16)...])
            plaintext = try AES.GCM.open(box, using: sealingKey(key, version: version),
                                         authenticating: associatedData(owner: owner, version: version, keyVersion: key.version))
        } catch {
            throw ArchiveError.authenticationFailed(object: objectName)
        }
        guard let policy = try? JSONDecoder().decode(OwnerPolicy.self, from: plaintext), policy.schema == 1 else {
            throw ArchiveError.malformedObject(object: objectName, detail: "the owner policy is not schema-1 JSON")
        }
        guard policy.owner == owner, policy.version == version else {
            throw ArchiveError.contentMismatch(object: objectName, detail: "the policy names another owner or version than its object")
        }
        return policy
    }
}
