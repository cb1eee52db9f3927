import Crypto

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
public struct RelaySignature: Sendable, Equatable {
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
        let metadataHash = Self.hex(SHA256.hash(data: Array(metadataHeader.utf8)))
        return [Self.algorithm, method.uppercased(), path, String(timestamp), nonce, idempotencyKey, metadataHash, bodySHA256.lowercased()]
            .joined(separator: "\n")
    }

    /// The signature (lower-case hex) under `secret`.
    public func sign(secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(canonicalString.utf8), using: SymmetricKey(data: secret))
        return Self.hex(mac)
    }

    /// Whether `signature` (hex) is this request's signature under `secret`; compares in constant time.
    public func verify(signature: String, secret: [UInt8]) -> Bool {
        guard let given = Self.bytes(hex: signature), given.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array(canonicalString.utf8), using: SymmetricKey(data: secret))
    }

    /// The `Authorization` header value.
    public static func authorization(keyID: String, signature: String) -> String {
        "\(algorithm) Credential=\(keyID), Signature=\(signature)"
    }

    /// Parses an `Authorization` header into key id and signature.
    public static func parseAuthorization(_ value: String) -> (keyID: String, signature: String)? {
        guard value.hasPrefix(algorithm + " ") else { return nil }
        var keyID: String?
        var signature: String?
        for part in value.dropFirst(algorithm.count + 1).split(separator: ",") {
            let field = part.drop { $0 == " " || $0 == "\t" }
            if field.hasPrefix("Credential=") { keyID = String(field.dropFirst("Credential=".count)) }
            if field.hasPrefix("Signature=") { signature = String(field.dropFirst("Signature=".count)) }
        }
        guard let keyID, !keyID.isEmpty, let signature, !signature.isEmpty else { return nil }
        return (keyID, signature)
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let scalars = Array(hex.utf8)
        guard scalars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count / 2)
        var index = 0
        while index < scalars.count {
            guard let high = value(scalars[index]), let low = value(scalars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

extension Digest {
    /// Lower-case hex of the digest.
    public var relayHex: String { RelaySignature.hex(self) }
}
