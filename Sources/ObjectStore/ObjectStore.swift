import TakevaultCore
/// Where sealed objects live: a local directory by default, S3 at scale.
///
/// Names are `/`-separated paths of `[A-Za-z0-9._-]` segments (see ``ObjectName``). Every object
/// carries ``ObjectTags``. Implementations are safe to call from many tasks at once.
public protocol ObjectStore: Sendable {
    /// What the store puts before every object name in its own namespace: an S3 key prefix
    /// (`s3://bucket/prefix`), which bucket-side rules such as lifecycle filters must repeat;
    /// empty when names are used as they are.
    var keyPrefix: String { get }
    /// Stores `data` under `name`. With `createOnly`, fails with ``StoreError/alreadyExists(_:)``
    /// if the object exists (the manifest commit); otherwise replaces it atomically.
    func put(_ name: String, data: [UInt8], tags: ObjectTags, createOnly: Bool) async throws
    /// The whole object.
    func get(_ name: String) async throws -> [UInt8]
    /// Bytes `range` of the object (clamped to its end).
    func get(_ name: String, range: Range<Int64>) async throws -> [UInt8]
    /// Size and tags, or `nil` when the object does not exist.
    func head(_ name: String) async throws -> ObjectInfo?
    /// Removes the object; removing one that does not exist is not an error.
    func delete(_ name: String) async throws
    /// Removes every object named (missing ones are not an error); S3 does it in batches.
    func delete(_ names: [String]) async throws
    /// Every object whose name starts with `prefix`, sorted by name: names, sizes and times. Tags
    /// are not listed (S3 needs a request per object for them); ``head(_:)`` has them.
    func list(prefix: String) async throws -> [ListedObject]
    /// Replaces the object's tags.
    func setTags(_ name: String, tags: ObjectTags) async throws
    /// Replaces the object's tags and makes it count as written now, without sending its bytes
    /// again: S3 lifecycle rules age an object from its last write, so an object whose retention
    /// starts anew (a tier change, a chunk shared by a newer take) is renewed. Fails with
    /// ``StoreError/notFound(_:)`` when the object does not exist.
    func renew(_ name: String, tags: ObjectTags) async throws
    /// Uploads started and neither completed nor aborted: S3 multipart uploads a crash left open,
    /// the local store's temporary files and tags without an object.
    func pendingUploads() async throws -> [PendingUpload]
    /// Aborts these pending uploads, as ``pendingUploads()`` listed them. One that is gone, or that
    /// changed since it was listed (a local write that went on), is left alone.
    func abort(_ uploads: [PendingUpload]) async throws
    /// Throws unless the store answers now (readiness): S3 answers a HEAD; the local store's
    /// folder is there and a folder.
    func checkAvailable() async throws
}

extension ObjectStore {
    public func checkAvailable() async throws { _ = try await head("readyz-probe") }
}

/// An object's name, size, tags and when it was last written.
public struct ObjectInfo: Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var tags: ObjectTags
    /// Seconds since 1970 when the object was last written, when the store knows.
    public var lastModified: Int64?

    public init(name: String, size: Int64, tags: ObjectTags, lastModified: Int64? = nil) {
        self.name = name
        self.size = size
        self.tags = tags
        self.lastModified = lastModified
    }
}

extension ObjectStore {
    /// One at a time: right for a store where a delete is a local system call.
    public func delete(_ names: [String]) async throws {
        for name in names { try await delete(name) }
    }

    /// None: a store that writes whole objects at once leaves nothing pending.
    public func pendingUploads() async throws -> [PendingUpload] { [] }

    public func abort(_ uploads: [PendingUpload]) async throws {}

    /// Aborts every pending upload started before `cutoff` (seconds since 1970); returns them.
    /// Uploads with no start time are left alone.
    public func abortStaleUploads(startedBefore cutoff: Int64) async throws -> [PendingUpload] {
        let stale = try await pendingUploads().filter { ($0.initiated ?? Int64.max) < cutoff }
        try await abort(stale)
        return stale
    }
}

/// An upload that was started and neither completed nor aborted.
public struct PendingUpload: Sendable, Equatable {
    public var name: String
    public var uploadID: String
    /// Seconds since 1970 when it was started.
    public var initiated: Int64?
}

/// An object as a listing shows it.
public struct ListedObject: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// Seconds since 1970 when the object was last written, when the store knows.
    public var lastModified: Int64?

    public init(name: String, size: Int64, lastModified: Int64? = nil) {
        self.name = name
        self.size = size
        self.lastModified = lastModified
    }
}

/// The tags on every object (architecture note): whose it is, their tier, what it is, until when
/// the policy keeps it, and the region it must stay in. S3 stores them as object tags; the local
/// store beside the object.
public struct ObjectTags: Sendable, Equatable, Codable {
    public var owner: String
    public var tier: Tier
    public var kind: ObjectKind
    /// ISO 8601, or `nil` for "until deleted".
    public var retainUntil: String?
    /// The data-residency region (e.g. `eu-west-1`), when the writer states it.
    public var region: String?
    /// Under a hold or a restriction: no deletion, by the sweep or by the S3 lifecycle backstop
    /// (whose rules match `held=no` only).
    public var held: Bool

    public init(owner: String, tier: Tier, kind: ObjectKind, retainUntil: String?, region: String? = nil, held: Bool = false) {
        self.owner = owner
        self.tier = tier
        self.kind = kind
        self.retainUntil = retainUntil
        self.region = region
        self.held = held
    }

    enum CodingKeys: String, CodingKey { case owner, tier, kind, retainUntil = "retain_until", region, held }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        owner = try container.decode(String.self, forKey: .owner)
        tier = try container.decode(Tier.self, forKey: .tier)
        kind = try container.decode(ObjectKind.self, forKey: .kind)
        retainUntil = try container.decodeIfPresent(String.self, forKey: .retainUntil)
        region = try container.decodeIfPresent(String.self, forKey: .region)
        held = try container.decodeIfPresent(Bool.self, forKey: .held) ?? false
    }

    /// As key/value pairs (`retain-until` absent when unlimited), the form S3 tagging takes.
    public var pairs: [(key: String, value: String)] {
        var result = [("owner", owner), ("tier", tier.rawValue), ("kind", kind.rawValue)]
        if let retainUntil { result.append(("retain-until", retainUntil)) }
        if let region { result.append(("region", region)) }
        result.append(("held", held ? "yes" : "no"))
        return result
    }
}

/// Object names: validation shared by every store, so no name can escape a store's root.
public enum ObjectName {
    public static let maximumLength = 1_024

    /// `/`-separated segments of `[A-Za-z0-9._-]`, none empty, `.` or `..`, none starting with `.`
    /// (the local store keeps its own files under dot-names), at most 1024 bytes.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumLength else { return false }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard let first = segment.utf8.first, first != UInt8(ascii: ".") else { return false }
            for byte in segment.utf8 {
                let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                guard allowed else { return false }
            }
        }
        return true
    }

    public static func validate(_ name: String) throws {
        guard isValid(name) else { throw StoreError.invalidName(name) }
    }
}
