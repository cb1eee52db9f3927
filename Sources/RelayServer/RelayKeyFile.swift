import RelayAPI
import TakevaultCore

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

/// A relay's key id, its shared secret, the owners it may upload for and where to send its jobs'
/// final states. Its description never shows the secret.
public struct RelayKey: Sendable, CustomStringConvertible {
    public var keyID: String
    public var secret: [UInt8]
    public var scope: OwnerScope
    public var callbackURL: CallbackTarget?

    public init(keyID: String, secret: [UInt8], scope: OwnerScope, callbackURL: CallbackTarget? = nil) {
        self.keyID = keyID
        self.secret = secret
        self.scope = scope
        self.callbackURL = callbackURL
    }

    public var description: String { "RelayKey(\(keyID), owners: \(scope), secret: <redacted>)" }

    /// Secrets shorter than this are refused: HMAC-SHA256 wants a key of at least 256 bits.
    public static let minimumSecretBytes = 32
}

/// The relay key file (`<vault>/relays.json`, mode 0600, docs/RELAY.md):
/// `{"relays": [{"key_id": "studio-eu-1", "secret": "…at least 32 bytes…", "owners": ["eu-*"], "callback_url": "https://…"}]}`.
///
/// Every entry is checked the way `serve` reads it before anything is written, and the file is
/// replaced atomically (temporary file, fsync, rename, directory fsync): a refused entry never
/// reaches the file, and a crash leaves the old file or the new one.
public enum RelayKeyFile {
    /// One relay as the file spells it.
    public struct Entry: Codable, Sendable {
        public var keyID: String
        public var secret: String
        public var owners: [String]?
        public var callbackURL: String?

        public init(keyID: String, secret: String, owners: [String], callbackURL: String? = nil) {
            self.keyID = keyID
            self.secret = secret
            self.owners = owners
            self.callbackURL = callbackURL
        }

        enum CodingKeys: String, CodingKey { case keyID = "key_id", secret, owners, callbackURL = "callback_url" }
    }

    struct Document: Codable {
        var relays: [Entry]
    }

    /// The largest key file read (a few hundred relays fit in far less).
    static let maximumFileBytes = 1 << 20

    /// Reads the relays from `path`. Refuses a file others may read and any entry ``validate(_:path:)`` refuses.
    public static func load(_ path: String) throws -> [RelayKey] {
        try validate(entries(path), path: path)
    }

    /// Checks `entries` as `serve` will: key ids, no duplicates, secret length, owner scope,
    /// callback URL.
    public static func validate(_ entries: [Entry], path: String) throws -> [RelayKey] {
        var seen = Set<String>()
        return try entries.map { entry in
            guard RelayKey.keyIDLengths.contains(entry.keyID.utf8.count), entry.keyID.utf8.allSatisfy(SignedRequestHeaders.isKeyIDCharacter) else {
                throw RelayConfigurationError.keyFile(path: path, problem: "has a key id that is not 1–64 letters, digits, '-', '_' or '.'")
            }
            guard seen.insert(entry.keyID).inserted else { throw RelayConfigurationError.keyFile(path: path, problem: "names key id \(entry.keyID) twice") }
            guard entry.secret.utf8.count >= RelayKey.minimumSecretBytes else {
                throw RelayConfigurationError.keyFile(path: path, problem: "gives \(entry.keyID) a secret shorter than \(RelayKey.minimumSecretBytes) bytes")
            }
            guard let owners = entry.owners, !owners.isEmpty else {
                throw RelayConfigurationError.keyFile(
                    path: path, problem: "gives \(entry.keyID) no \"owners\": list the owner ids or prefixes (\"eu-*\") it may upload for, or [\"*\"] for every owner")
            }
            let scope: OwnerScope
            do { scope = try OwnerScope(patterns: owners) } catch let error as OwnerScopeError {
                throw RelayConfigurationError.keyFile(
                    path: path, problem: "gives \(entry.keyID) the owner pattern \"\(error.pattern.prefix(80))\", which is not an owner id, an id prefix followed by '*', or '*'")
            }
            var callback: CallbackTarget?
            if let url = entry.callbackURL {
                do { callback = try CallbackTarget(url) } catch let error as CallbackTargetError {
                    throw RelayConfigurationError.keyFile(path: path, problem: "gives \(entry.keyID) a callback_url that \(error.problem)")
                }
            }
            return RelayKey(keyID: entry.keyID, secret: Array(entry.secret.utf8), scope: scope, callbackURL: callback)
        }
    }

    /// Adds `entry` to the file at `path` (created if absent): the whole new list is validated
    /// first, then written atomically with mode 0600. Two `add-key`s at once are serialised by an
    /// exclusive lock on `<path>.lock`, so neither's key is lost in the other's rewrite.
    public static func add(_ entry: Entry, to path: String) throws {
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw RelayConfigurationError.keyFile(path: path + ".lock", problem: "cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        guard SystemIO.retrying({ flock(lock, LOCK_EX) }) == 0 else {
            throw RelayConfigurationError.keyFile(path: path + ".lock", problem: "cannot be locked: \(String(cString: strerror(errno)))")
        }
        var existing: [Entry] = []
        if access(path, F_OK) == 0 { existing = try entries(path) }
        guard !existing.contains(where: { $0.keyID == entry.keyID }) else {
            throw RelayConfigurationError.keyFile(path: path, problem: "already has key id \(entry.keyID)")
        }
        let updated = existing + [entry]
        _ = try validate(updated, path: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(Document(relays: updated))) + [0x0a]
        do { try AtomicOutput.write(bytes, to: path, mode: 0o600) } catch {
            throw RelayConfigurationError.keyFile(path: path, problem: "cannot be written: \(error)")
        }
    }

    /// The entries of the file at `path`, unvalidated; refuses a file others may read.
    static func entries(_ path: String) throws -> [Entry] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw RelayConfigurationError.keyFile(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))") }
        guard status.st_mode & 0o077 == 0 else {
            throw RelayConfigurationError.keyFile(path: path, problem: "is readable by others; it holds secrets (chmod 600)")
        }
        guard status.st_size <= maximumFileBytes, let data = FileManager.default.contents(atPath: path) else {
            throw RelayConfigurationError.keyFile(path: path, problem: "cannot be read (or is over \(maximumFileBytes) bytes)")
        }
        do { return try JSONDecoder().decode(Document.self, from: data).relays } catch {
            throw RelayConfigurationError.keyFile(path: path, problem: "is not {\"relays\": [{\"key_id\", \"secret\", \"owners\", \"callback_url\"?}]}")
        }
    }
}

extension RelayKey {
    /// Key id lengths `relays.json` accepts.
    public static let keyIDLengths = SignedRequestHeaders.keyIDLengths
}
