/// The signing headers of a request to `takevault serve`, parsed strictly (docs/RELAY.md,
/// "Signing") before anything else looks at them.
///
/// Every value arrives from the network, so each is checked for presence, length and alphabet
/// before it is used, and numbers are read digit by digit into a bounded range: no header can
/// make later arithmetic overflow, and nothing is allocated in proportion to a header beyond its
/// own (already bounded) bytes. Fuzzed by `scripts/fuzz.sh`, target `relay-headers`.
public struct SignedRequestHeaders: Sendable, Equatable {
    /// The relay key id from `Authorization` (1–64 of `A–Z a–z 0–9 . _ -`).
    public var keyID: String
    /// The 32-byte signature from `Authorization`.
    public var signature: [UInt8]
    /// `X-Takevault-Date`: Unix seconds, 0 … ``maximumTimestamp``.
    public var timestamp: Int64
    /// `X-Takevault-Nonce`: 16–128 printable ASCII characters.
    public var nonce: String
    /// `X-Takevault-Content-SHA256`, lower-case hex.
    public var bodySHA256: String
    /// `Idempotency-Key`, or empty when absent: 1–128 printable ASCII characters.
    public var idempotencyKey: String
    /// `X-Takevault-Metadata` as sent, or empty when absent: at most
    /// ``UploadMetadata/maximumHeaderBytes`` of the base64url alphabet.
    public var metadataHeader: String

    /// The latest signing time accepted as a number at all (year 5138); freshness is checked
    /// against the server's clock afterwards. Eleven digits at most, so sums stay far from overflow.
    public static let maximumTimestamp: Int64 = 99_999_999_999
    public static let maximumAuthorizationBytes = 256
    public static let nonceLengths = 16...128
    public static let idempotencyKeyLengths = 1...128
    public static let keyIDLengths = 1...64

    /// Why the headers cannot be read. `code` is the reason code the server answers with.
    public enum Problem: Error, Sendable, Equatable {
        /// A signing header is absent.
        case missing(header: String)
        /// A signing header is present but not of its form.
        case malformed(header: String, expected: String)
        /// `Idempotency-Key` is present but not of its form.
        case idempotencyKey
        /// `X-Takevault-Metadata` is too large or not base64url.
        case metadata

        public var code: String {
            switch self {
            case .missing: "auth_missing"
            case .malformed: "auth_malformed"
            case .idempotencyKey: "idempotency_key_invalid"
            case .metadata: "metadata_invalid"
            }
        }

        public var message: String {
            switch self {
            case .missing(let header): "The request is not signed: \(header) is missing (docs/RELAY.md, \"Signing\")."
            case .malformed(let header, let expected): "\(header) must be \(expected)."
            case .idempotencyKey: "Idempotency-Key must be 1–128 printable ASCII characters, the same on every retry of one upload."
            case .metadata: "\(RelayHeaders.metadata) must be base64url without padding, at most \(UploadMetadata.maximumHeaderBytes) bytes."
            }
        }
    }

    /// Parses the headers as given (`nil` for an absent header).
    public static func parse(authorization: String?, date: String?, nonce: String?, contentSHA256: String?,
                             idempotencyKey: String?, metadata: String?) -> Result<SignedRequestHeaders, Problem> {
        guard let authorization else { return .failure(.missing(header: RelayHeaders.authorization)) }
        guard let credential = parseAuthorization(authorization) else {
            return .failure(.malformed(header: RelayHeaders.authorization,
                                       expected: "\(RelaySignature.algorithm) Credential=<key id>, Signature=<64 hex digits>"))
        }
        guard let date else { return .failure(.missing(header: RelayHeaders.date)) }
        guard let timestamp = parseTimestamp(date) else {
            return .failure(.malformed(header: RelayHeaders.date, expected: "Unix seconds: 1–11 decimal digits without a leading zero, nothing else"))
        }
        guard let nonce else { return .failure(.missing(header: RelayHeaders.nonce)) }
        guard nonceLengths.contains(nonce.utf8.count), nonce.utf8.allSatisfy(isPrintable) else {
            return .failure(.malformed(header: RelayHeaders.nonce, expected: "16–128 printable ASCII characters, new for every request"))
        }
        guard let contentSHA256 else { return .failure(.missing(header: RelayHeaders.contentSHA256)) }
        guard contentSHA256.utf8.count == 64, contentSHA256.utf8.allSatisfy(isHexDigit) else {
            return .failure(.malformed(header: RelayHeaders.contentSHA256, expected: "the body's SHA-256 as 64 hex digits"))
        }
        if let idempotencyKey {
            guard idempotencyKeyLengths.contains(idempotencyKey.utf8.count), idempotencyKey.utf8.allSatisfy(isPrintable) else {
                return .failure(.idempotencyKey)
            }
        }
        if let metadata {
            guard metadata.utf8.count <= UploadMetadata.maximumHeaderBytes, metadata.utf8.allSatisfy(isBase64URL) else {
                return .failure(.metadata)
            }
        }
        return .success(SignedRequestHeaders(
            keyID: credential.keyID, signature: credential.signature, timestamp: timestamp, nonce: nonce,
            bodySHA256: contentSHA256.lowercased(), idempotencyKey: idempotencyKey ?? "", metadataHeader: metadata ?? ""))
    }

    /// The canonical form these headers sign for `method` and `path` (docs/RELAY.md).
    public func signature(method: String, path: String) -> RelaySignature {
        RelaySignature(method: method, path: path, timestamp: timestamp, nonce: nonce, idempotencyKey: idempotencyKey,
                       metadataHeader: metadataHeader, bodySHA256: bodySHA256)
    }

    /// `TAKEVAULT-HMAC-SHA256 Credential=<key id>, Signature=<64 hex>`: exactly these two fields,
    /// each once, in either order, separated by a comma and optional spaces.
    public static func parseAuthorization(_ value: String, algorithm: String = RelaySignature.algorithm) -> (keyID: String, signature: [UInt8])? {
        let prefix = algorithm + " "
        guard value.utf8.count <= maximumAuthorizationBytes, value.hasPrefix(prefix) else { return nil }
        var keyID: String?
        var signature: [UInt8]?
        let fields = value.utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count == 2 else { return nil }
        for field in fields {
            let trimmed = field.drop { $0 == UInt8(ascii: " ") }
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let name = String(decoding: trimmed[..<equals], as: UTF8.self)
            let text = String(decoding: trimmed[trimmed.index(after: equals)...], as: UTF8.self)
            switch name {
            case "Credential" where keyID == nil:
                guard keyIDLengths.contains(text.utf8.count), text.utf8.allSatisfy(isKeyIDCharacter) else { return nil }
                keyID = text
            case "Signature" where signature == nil:
                guard text.utf8.count == 64, text.utf8.allSatisfy(isHexDigit), let bytes = [UInt8](hex: text) else { return nil }
                signature = bytes
            default:
                return nil
            }
        }
        guard let keyID, let signature else { return nil }
        return (keyID, signature)
    }

    /// Unix seconds: 1–11 ASCII digits and nothing else (no sign, no spaces, no leading zero — the
    /// value is signed as the number's own spelling), at most ``maximumTimestamp``.
    static func parseTimestamp(_ text: String) -> Int64? {
        guard (1...11).contains(text.utf8.count), text == "0" || text.utf8.first != UInt8(ascii: "0") else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value <= maximumTimestamp ? value : nil
    }

    static func isPrintable(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7f }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// Relay key ids: the alphabet `relays.json` allows.
    public static func isKeyIDCharacter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
