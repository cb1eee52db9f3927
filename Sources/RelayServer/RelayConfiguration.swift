import ReasonCodes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How `takevault serve` runs: where it listens, how much work it takes on, which relays it trusts.
public struct RelayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the server prints the one it got).
    public var port = 8080
    /// Pipeline workers: takes processed at once. Default one per core.
    public var workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Jobs waiting or in progress before uploads get `503`.
    public var queueCapacity = 64
    /// Bytes the spool may hold (accepted uploads not yet archived, plus uploads arriving).
    public var spoolLimitBytes: Int64 = 16 << 30
    /// The largest upload accepted (`413` beyond it).
    public var maxUploadBytes: Int64 = 4 << 30
    /// The longest take accepted, in seconds (`413` beyond it).
    public var maxDurationSeconds: Double = 6 * 3600
    /// How far a request's signing time may be from the server's clock, in seconds.
    public var allowedClockSkewSeconds: Int64 = 300
    /// What `503` answers advise in `Retry-After`, in seconds.
    public var retryAfterSeconds = 2
    /// How many times a job is tried when the pipeline fails for a reason that may pass
    /// (store or catalog unavailable) before it is marked `failed`.
    public var maxAttempts = 3
    /// The relays allowed to upload.
    public var relays: [RelayKey] = []

    public init() {}

    func relay(_ keyID: String) -> RelayKey? { relays.first { $0.keyID == keyID } }
}

/// A relay's key id, its shared secret and where to send its jobs' final states.
public struct RelayKey: Sendable {
    public var keyID: String
    public var secret: [UInt8]
    public var callbackURL: String?

    public init(keyID: String, secret: [UInt8], callbackURL: String? = nil) {
        self.keyID = keyID
        self.secret = secret
        self.callbackURL = callbackURL
    }

    /// Secrets shorter than this are refused: HMAC-SHA256 wants a key of at least 256 bits.
    public static let minimumSecretBytes = 32
}

/// The relay key file (`<vault>/relays.json`, mode 0600):
/// `{"relays": [{"key_id": "studio-eu-1", "secret": "…at least 32 characters…", "callback_url": "https://…"}]}`.
public enum RelayKeyFile {
    struct Document: Codable {
        var relays: [Entry]
    }

    struct Entry: Codable {
        var keyID: String
        var secret: String
        var callbackURL: String?

        enum CodingKeys: String, CodingKey { case keyID = "key_id", secret, callbackURL = "callback_url" }
    }

    /// Reads the relays from `path`. Refuses a file others may read, a short secret, a duplicate id.
    public static func load(_ path: String) throws -> [RelayKey] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw RelayConfigurationError.keyFile(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))") }
        guard status.st_mode & 0o077 == 0 else {
            throw RelayConfigurationError.keyFile(path: path, problem: "is readable by others; it holds secrets (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RelayConfigurationError.keyFile(path: path, problem: "cannot be read")
        }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw RelayConfigurationError.keyFile(path: path, problem: "is not {\"relays\": [{\"key_id\", \"secret\", \"callback_url\"?}]}")
        }
        var seen = Set<String>()
        return try document.relays.map { entry in
            guard !entry.keyID.isEmpty, entry.keyID.utf8.count <= 64, entry.keyID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw RelayConfigurationError.keyFile(path: path, problem: "has a key id that is not 1–64 letters, digits, '-', '_' or '.'")
            }
            guard seen.insert(entry.keyID).inserted else { throw RelayConfigurationError.keyFile(path: path, problem: "names key id \(entry.keyID) twice") }
            guard entry.secret.utf8.count >= RelayKey.minimumSecretBytes else {
                throw RelayConfigurationError.keyFile(path: path, problem: "gives \(entry.keyID) a secret shorter than \(RelayKey.minimumSecretBytes) bytes")
            }
            if let url = entry.callbackURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw RelayConfigurationError.keyFile(path: path, problem: "gives \(entry.keyID) a callback_url that is not http(s)")
            }
            return RelayKey(keyID: entry.keyID, secret: Array(entry.secret.utf8), callbackURL: entry.callbackURL)
        }
    }
}

/// Why the relay server cannot start.
public enum RelayConfigurationError: ReasonCoded, Equatable {
    case keyFile(path: String, problem: String)
    case noRelays(path: String)
    case invalid(name: String, problem: String)

    public var code: String {
        switch self {
        case .keyFile: "relay_key_file_invalid"
        case .noRelays: "relay_keys_missing"
        case .invalid: "invalid_setting"
        }
    }

    public var message: String {
        switch self {
        case .keyFile(let path, let problem): "The relay key file \(path) \(problem)."
        case .noRelays(let path): "No relay keys: \(path) lists none, so no upload could be authenticated."
        case .invalid(let name, let problem): "\(name): \(problem)."
        }
    }

    public var category: ErrorCategory { .usage }
}
