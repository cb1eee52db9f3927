import Crypto
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// AWS Signature Version 4, header form: the canonical request, the string to sign, the derived
/// signing key and the `Authorization` header.
///
/// Written here rather than taken from an SDK: the only S3 SDK for Swift (Soto) is not available to
/// this project, and the algorithm is small and fully specified. It is checked against the
/// published AWS SigV4 test-suite and S3 documentation examples (Tests/ObjectStoreTests).
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The `x-amz-content-sha256` value that skips payload signing (TLS transports only).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes, the payload hash of every request without a body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// What a request looks like to the signer.
    public struct Request: Sendable {
        public var method: String
        /// The path as sent, already URI-encoded (``SigV4Signer/encodePath(_:)``).
        public var encodedPath: String
        /// Query parameters, not encoded; the signer encodes and sorts them.
        public var query: [(name: String, value: String)]
        /// Headers to sign, `host` among them. Names in any case.
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or ``SigV4Signer/unsignedPayload``.
        public var payloadHash: String

        public init(method: String, encodedPath: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
                    payloadHash: String) {
            self.method = method
            self.encodedPath = encodedPath
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// Each intermediate of a signature, so tests can compare every step with the published ones.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signedHeaders: String
        /// The value of the `Authorization` header.
        public var authorization: String
    }

    /// Signs `request` at `amzDate` (`YYYYMMDD'T'HHMMSS'Z'`). The caller must already have put
    /// `x-amz-date` (and, for S3, `x-amz-content-sha256` and any session token) among the headers.
    public func sign(_ request: Request, amzDate: String) -> Signature {
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"

        // Canonical headers: lower-case names, sorted; values trimmed with inner runs of spaces
        // collapsed; repeated names joined with commas in the order given.
        var grouped: [String: [String]] = [:]
        for (name, value) in request.headers {
            grouped[name.lowercased(), default: []].append(Self.normaliseHeaderValue(value))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            request.method, request.encodedPath, Self.canonicalQuery(request.query), canonicalHeaders, signedHeaders, request.payloadHash,
        ].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")

        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)).hex
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, signedHeaders: signedHeaders,
                         authorization: authorization)
    }

    // MARK: Encoding

    /// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (`A–Z a–z 0–9 - . _ ~`)
    /// stay, every other byte of the UTF-8 becomes `%XX` (upper-case); `/` stays when `keepSlash`.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF")
        for byte in text.utf8 {
            let unreserved = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved || (keepSlash && byte == UInt8(ascii: "/")) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result.append("%")
                result.append(digits[Int(byte >> 4)])
                result.append(digits[Int(byte & 0x0f)])
            }
        }
        return result
    }

    /// An S3 path: each segment encoded once, slashes kept (S3 does not normalise paths).
    public static func encodePath(_ path: String) -> String { uriEncode(path, keepSlash: true) }

    /// `name=value` pairs, both encoded, sorted by name then value, joined with `&`.
    public static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    static func normaliseHeaderValue(_ value: String) -> String {
        var result = ""
        var lastWasSpace = false
        for character in value.trimmingSpaces() {
            if character == " " {
                if !lastWasSpace { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(character)
                lastWasSpace = false
            }
        }
        return result
    }

    // MARK: Hashing and time

    public static func hexSHA256(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return Array(hasher.finalize()).hex
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` for seconds since 1970 (UTC).
    public static func amzDate(secondsSince1970 seconds: Int64) -> String {
        UTCTime(secondsSince1970: seconds).basicFormat
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = text.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return text[first...last]
    }
}
