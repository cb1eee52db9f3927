import TakevaultCore

/// Where and how ``S3Store`` talks to S3: endpoint, region, bucket, key prefix, addressing style,
/// credentials, and the transfer settings (part size, concurrency, retries, timeouts).
public struct S3Configuration: Sendable {
    /// How the bucket appears in requests: `https://bucket.host/key` or `https://host/bucket/key`.
    public enum Addressing: String, Sendable { case virtualHost = "virtual", path }

    /// When the payload is hashed into the signature. Over plain HTTP the hash is what protects
    /// the body from being altered in flight, so `UNSIGNED-PAYLOAD` needs TLS unless asked for.
    public enum PayloadSigning: String, Sendable {
        /// Always sign the SHA-256 of the body.
        case always
        /// `UNSIGNED-PAYLOAD` over HTTPS (TLS protects the body), the hash otherwise. The default.
        case unlessTLS = "unless-tls"
        /// `UNSIGNED-PAYLOAD` even over plain HTTP: only when the operator allows it.
        case never
    }

    public var scheme: String
    public var host: String
    public var port: Int
    public var region: String
    public var bucket: String
    /// Prepended to every object name; empty or ending in `/`.
    public var prefix: String
    public var addressing: Addressing
    public var credentials: S3Credentials
    public var payloadSigning: PayloadSigning = .unlessTLS
    /// Objects larger than this are uploaded in parts of this size (S3's minimum part is 5 MiB).
    public var partSize: Int = 16 * 1_024 * 1_024
    /// Requests in flight at once, across every task using the store.
    public var maxConcurrentRequests: Int = 8
    public var retry = RetryPolicy()
    /// Seconds one request may take, from connect to the last byte of the response.
    public var requestTimeout: Double = 120

    public init(scheme: String, host: String, port: Int, region: String, bucket: String, prefix: String = "",
                addressing: Addressing = .path, credentials: S3Credentials) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.addressing = addressing
        self.credentials = credentials
    }

    public static let minimumPartSize = 5 * 1_024 * 1_024

    /// Whether `location` names an S3 store (`s3://bucket[/prefix]`).
    public static func isS3URL(_ location: String) -> Bool { location.hasPrefix("s3://") }

    /// The configuration for `s3://bucket[/prefix]` in `region`, completed from the environment:
    /// - `TAKEVAULT_S3_ENDPOINT` (else `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`; else AWS's
    ///   regional endpoint `https://s3.<region>.amazonaws.com`);
    /// - `TAKEVAULT_S3_ADDRESSING` `path` or `virtual` (default: virtual-host on AWS, path elsewhere);
    /// - `TAKEVAULT_S3_PAYLOAD_SIGNING` `always`, `unless-tls` (default) or `never`;
    /// - `TAKEVAULT_S3_PART_SIZE` (bytes, ≥ 5 MiB), `TAKEVAULT_S3_CONCURRENCY`,
    ///   `TAKEVAULT_S3_MAX_ATTEMPTS`, `TAKEVAULT_S3_TIMEOUT` (seconds);
    /// - credentials as ``S3Credentials/load(environment:)`` finds them.
    public static func from(url: String, region: String, environment: [String: String]) throws -> S3Configuration {
        guard isS3URL(url) else { throw S3ConfigurationError.invalid(name: "store", value: url, expected: "s3://bucket[/prefix]") }
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
        guard isValidBucket(bucket) else {
            throw S3ConfigurationError.invalid(name: "bucket", value: bucket, expected: "3–63 characters of a–z, 0–9, '.' and '-'")
        }
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        guard prefix.isEmpty || ObjectName.isValid(String(prefix.dropLast())) else {
            throw S3ConfigurationError.invalid(name: "prefix", value: prefix, expected: "/-separated segments of A–Z a–z 0–9 . _ -")
        }

        func setting(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let endpoint = setting("TAKEVAULT_S3_ENDPOINT") ?? setting("AWS_ENDPOINT_URL_S3") ?? setting("AWS_ENDPOINT_URL")
            ?? "https://s3.\(region).amazonaws.com"
        let (scheme, host, port) = try parseEndpoint(endpoint)
        let onAWS = host.hasSuffix(".amazonaws.com")
        var configuration = S3Configuration(scheme: scheme, host: host, port: port, region: region, bucket: bucket, prefix: prefix,
                                            addressing: onAWS ? .virtualHost : .path, credentials: try S3Credentials.load(environment: environment))
        if let text = setting("TAKEVAULT_S3_ADDRESSING") {
            guard let value = Addressing(rawValue: text) else { throw S3ConfigurationError.invalid(name: "TAKEVAULT_S3_ADDRESSING", value: text, expected: "path or virtual") }
            configuration.addressing = value
        }
        if configuration.addressing == .virtualHost && bucket.contains(".") && scheme == "https" {
            // A dotted bucket as a host name breaks the wildcard certificate.
            configuration.addressing = .path
        }
        if let text = setting("TAKEVAULT_S3_PAYLOAD_SIGNING") {
            guard let value = PayloadSigning(rawValue: text) else {
                throw S3ConfigurationError.invalid(name: "TAKEVAULT_S3_PAYLOAD_SIGNING", value: text, expected: "always, unless-tls or never")
            }
            configuration.payloadSigning = value
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = setting(name) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw S3ConfigurationError.invalid(name: name, value: text, expected: "an integer in \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        if let value = try integer("TAKEVAULT_S3_PART_SIZE", minimumPartSize...(5 * 1_024 * 1_024 * 1_024)) { configuration.partSize = value }
        if let value = try integer("TAKEVAULT_S3_CONCURRENCY", 1...256) { configuration.maxConcurrentRequests = value }
        if let value = try integer("TAKEVAULT_S3_MAX_ATTEMPTS", 1...20) { configuration.retry.maxAttempts = value }
        if let text = setting("TAKEVAULT_S3_TIMEOUT") {
            guard let value = Double(text), value > 0 else { throw S3ConfigurationError.invalid(name: "TAKEVAULT_S3_TIMEOUT", value: text, expected: "seconds > 0") }
            configuration.requestTimeout = value
        }
        return configuration
    }

    /// `scheme://host[:port]` split, with the scheme's default port.
    static func parseEndpoint(_ endpoint: String) throws -> (String, String, Int) {
        let parts = endpoint.split(separator: "://", maxSplits: 1)
        guard parts.count == 2, parts[0] == "http" || parts[0] == "https" else {
            throw S3ConfigurationError.invalid(name: "endpoint", value: endpoint, expected: "http(s)://host[:port]")
        }
        let scheme = String(parts[0])
        let authority = parts[1].prefix { $0 != "/" }
        var host = String(authority)
        var port = scheme == "https" ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(value) else {
                throw S3ConfigurationError.invalid(name: "endpoint", value: endpoint, expected: "a port in 1…65535")
            }
            host = String(authority[..<colon])
            port = value
        }
        guard !host.isEmpty else { throw S3ConfigurationError.invalid(name: "endpoint", value: endpoint, expected: "a host name") }
        return (scheme, host, port)
    }

    static func isValidBucket(_ name: String) -> Bool {
        (3...63).contains(name.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d }
            && name.first != "-" && name.first != "."
    }

    /// Whether bodies are sent as `UNSIGNED-PAYLOAD`.
    var skipsPayloadHash: Bool {
        switch payloadSigning {
        case .always: false
        case .unlessTLS: scheme == "https"
        case .never: true
        }
    }

    /// `Host` header value and the path prefix for the bucket, per addressing style.
    var hostHeader: String {
        let base = addressing == .virtualHost ? "\(bucket).\(host)" : host
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? base : "\(base):\(port)"
    }

    var bucketPath: String { addressing == .virtualHost ? "" : "/" + bucket }

    /// Where the store is, for messages (never the credentials).
    public var location: String { "s3://\(bucket)/\(prefix) at \(scheme)://\(host):\(port) (\(region))" }
}

/// A store location or S3 setting that cannot be used.
public enum S3ConfigurationError: ReasonCoded, Equatable, Sendable {
    case invalid(name: String, value: String, expected: String)
    case credentials(String)

    public var code: String {
        switch self {
        case .invalid: "invalid_store_setting"
        case .credentials: "store_credentials_missing"
        }
    }

    public var message: String {
        switch self {
        case .invalid(let name, let value, let expected): "\(name) \"\(value.prefix(200))\" is not usable: expected \(expected)."
        case .credentials(let detail): "S3 credentials: \(detail)."
        }
    }

    public var category: ErrorCategory { .usage }
}

/// Exponential backoff with full jitter: attempt `n` waits a random time in
/// `0…min(maxDelay, baseDelay × 2ⁿ)`, so many clients retrying at once spread out.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts = 6
    public var baseDelay = 0.1
    public var maxDelay = 5.0

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.1, maxDelay: Double = 5.0) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(retry, 20)))
        return Double.random(in: 0...ceiling)
    }
}
