import Crypto
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The relay's request signature: HMAC-SHA256, under the relay's secret, of a canonical string
/// that binds the method, path, time, a nonce, the idempotency key, the metadata and the body's
/// SHA-256 (docs/RELAY.md, "Signing").
///
/// ```
/// TAKEVAULT-HMAC-SHA256
/// <METHOD>
/// <path and query, as sent>
/// <X-Takevault-Date: Unix seconds>
/// <X-Takevault-Nonce>
/// <Idempotency-Key, or empty>
/// <SHA-256 hex of the X-Takevault-Metadata header value, as sent>
/// <X-Takevault-Content-SHA256: SHA-256 hex of the body>
/// ```
///
/// The `Authorization` header is `TAKEVAULT-HMAC-SHA256 Credential=<key id>, Signature=<hex>`.
public struct RelaySignature: CanonicalSignature, Equatable {
    public static let algorithm = "TAKEVAULT-HMAC-SHA256"
    /// SHA-256 of no bytes: the content hash of a request without a body.
    public static let emptyBodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var method: String
    public var path: String
    public var timestamp: Int64
    public var nonce: String
    public var idempotencyKey: String
    public var metadataHeader: String
    public var bodySHA256: String

    public init(method: String, path: String, timestamp: Int64, nonce: String, idempotencyKey: String = "", metadataHeader: String = "",
                bodySHA256: String = RelaySignature.emptyBodySHA256) {
        self.method = method
        self.path = path
        self.timestamp = timestamp
        self.nonce = nonce
        self.idempotencyKey = idempotencyKey
        self.metadataHeader = metadataHeader
        self.bodySHA256 = bodySHA256
    }

    /// The string the HMAC covers.
    public var canonicalString: String {
        let metadataHash = SHA256.hash(data: Array(metadataHeader.utf8)).hexString
        return [Self.algorithm, method.uppercased(), path, String(timestamp), nonce, idempotencyKey, metadataHash, bodySHA256.lowercased()]
            .joined(separator: "\n")
    }
}

/// A signature scheme of the relay API: HMAC-SHA256, under a relay's secret, of a canonical string
/// whose first line is the scheme's ``algorithm`` (also the `Authorization` scheme name). Requests
/// (``RelaySignature``) and callbacks (``CallbackSignature``) share this and nothing else.
public protocol CanonicalSignature: Sendable {
    static var algorithm: String { get }
    /// The string the HMAC covers.
    var canonicalString: String { get }
}

extension CanonicalSignature {
    /// The signature (lower-case hex) under `secret`.
    public func sign(secret: [UInt8]) -> String {
        Array(HMAC<SHA256>.authenticationCode(for: Array(canonicalString.utf8), using: SymmetricKey(data: secret))).hex
    }

    /// Whether `signature` (hex) is the signature under `secret`; compares in constant time.
    public func verify(signature: String, secret: [UInt8]) -> Bool {
        guard let given = [UInt8](hex: signature) else { return false }
        return verify(signature: given, secret: secret)
    }

    /// Whether `signature` (32 bytes) is the signature under `secret`; compares in constant time.
    public func verify(signature: [UInt8], secret: [UInt8]) -> Bool {
        guard signature.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Array(canonicalString.utf8), using: SymmetricKey(data: secret))
    }

    /// The `Authorization` header value.
    public static func authorization(keyID: String, signature: String) -> String {
        "\(algorithm) Credential=\(keyID), Signature=\(signature)"
    }
}
