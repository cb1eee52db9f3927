import GRDB
import TakevaultCore

/// An owner (account) as the catalog knows it.
public struct OwnerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "owners"
    public var id: String
    public var tier: Tier
    public var createdAt: String
    /// Processing restricted (policy: no ingest, reprocess or export-with-audio).
    public var restricted: Bool
    public var erasedAt: String?
    /// The version of the owner's policy object (FORMAT.md §8) the catalog follows; 0 before one
    /// was applied. A store whose newest version is older has been rolled back.
    public var policyVersion: Int

    public init(id: String, tier: Tier, createdAt: String, restricted: Bool = false, erasedAt: String? = nil, policyVersion: Int = 0) {
        self.id = id
        self.tier = tier
        self.createdAt = createdAt
        self.restricted = restricted
        self.erasedAt = erasedAt
        self.policyVersion = policyVersion
    }

    enum CodingKeys: String, CodingKey { case id, tier, createdAt = "created_at", restricted, erasedAt = "erased_at", policyVersion = "policy_version" }
}

/// An owner's wrapped data key, as also stored in the key object.
public struct OwnerKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "owner_keys"
    public var ownerID: String
    public var version: Int
    /// The key object's bytes (FORMAT.md §4.2).
    public var wrapped: [UInt8]
    public var masterKeyID: String
    public var createdAt: String

    public init(ownerID: String, version: Int, wrapped: [UInt8], masterKeyID: String, createdAt: String) {
        self.ownerID = ownerID
        self.version = version
        self.wrapped = wrapped
        self.masterKeyID = masterKeyID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey { case ownerID = "owner_id", version, wrapped, masterKeyID = "master_key_id", createdAt = "created_at" }
}

/// A take: the index row of a committed manifest.
public struct TakeRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "takes"
    public var id: String
    public var ownerID: String
    public var sessionID: String?
    public var tier: Tier
    public var originalName: String
    public var uploadSHA256: String
    public var uploadBytes: Int64
    public var recordedAt: String?
    public var ingestedAt: String
    public var retainUntil: String?
    public var generation: Int
    public var manifestName: String
    public var durationS: Double
    public var integratedLUFS: Double?
    /// Bytes of all artefacts, before sealing.
    public var storedBytes: Int64

    public init(
        id: String, ownerID: String, sessionID: String?, tier: Tier, originalName: String, uploadSHA256: String, uploadBytes: Int64,
        recordedAt: String?, ingestedAt: String, retainUntil: String?, generation: Int, manifestName: String, durationS: Double,
        integratedLUFS: Double?, storedBytes: Int64
    ) {
        self.id = id
        self.ownerID = ownerID
        self.sessionID = sessionID
        self.tier = tier
        self.originalName = originalName
        self.uploadSHA256 = uploadSHA256
        self.uploadBytes = uploadBytes
        self.recordedAt = recordedAt
        self.ingestedAt = ingestedAt
        self.retainUntil = retainUntil
        self.generation = generation
        self.manifestName = manifestName
        self.durationS = durationS
        self.integratedLUFS = integratedLUFS
        self.storedBytes = storedBytes
    }

    enum CodingKeys: String, CodingKey {
        case id, ownerID = "owner_id", sessionID = "session_id", tier, originalName = "original_name", uploadSHA256 = "upload_sha256"
        case uploadBytes = "upload_bytes", recordedAt = "recorded_at", ingestedAt = "ingested_at", retainUntil = "retain_until"
        case generation, manifestName = "manifest_name", durationS = "duration_s", integratedLUFS = "integrated_lufs", storedBytes = "stored_bytes"
    }
}

/// An object in the store that a take references (a chunk, shared between takes of one owner when
/// equal, or the take's manifest).
public struct TakeObjectRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "take_objects"
    public var takeID: String
    public var objectName: String
    public var kind: ObjectKind
    public var size: Int64

    public init(takeID: String, objectName: String, kind: ObjectKind, size: Int64) {
        self.takeID = takeID
        self.objectName = objectName
        self.kind = kind
        self.size = size
    }

    enum CodingKeys: String, CodingKey { case takeID = "take_id", objectName = "object_name", kind, size }
}

/// An audit event: what happened, to whom, when.
public struct EventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "events"
    public var id: Int64?
    public var at: String
    public var kind: String
    public var ownerID: String?
    public var takeID: String?
    /// JSON detail.
    public var detail: String

    public init(at: String, kind: String, ownerID: String?, takeID: String?, detail: String) {
        self.at = at
        self.kind = kind
        self.ownerID = ownerID
        self.takeID = takeID
        self.detail = detail
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    enum CodingKeys: String, CodingKey { case id, at, kind, ownerID = "owner_id", takeID = "take_id", detail }
}

/// A unit of background work: a relay upload waiting for, in or past the pipeline.
///
/// States: `queued`, `processing`, `done`, `rejected` (the upload is not audio takevault can take),
/// `failed` (the pipeline or the store failed). `detail` is JSON the job's owner (the relay server)
/// defines.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"
    public var id: String
    public var kind: String
    public var state: JobState
    public var ownerID: String?
    public var takeID: String?
    public var createdAt: String
    public var updatedAt: String
    public var detail: String
    /// The relay that submitted the job and the idempotency key it gave (unique together).
    public var relayKeyID: String?
    public var idempotencyKey: String?
    /// SHA-256 (hex) of the uploaded body.
    public var uploadSHA256: String?
    /// How many times a worker has started the job.
    public var attempts: Int
    /// `pending`, `delivered` or `failed` once a final state must be reported to a callback URL.
    public var callbackState: CallbackState?
    /// A queued job is not claimed before this instant (ISO 8601): the backoff after a failed attempt.
    public var notBefore: String?
    /// The node working on a `processing` job, and until when its claim holds unless renewed. A
    /// job whose lease has lapsed (its node died or stalled) is claimed by another node.
    public var leaseNode: String?
    public var leaseExpiresAt: String?

    public init(id: String, kind: String, state: JobState, ownerID: String?, takeID: String?, createdAt: String, updatedAt: String, detail: String,
                relayKeyID: String? = nil, idempotencyKey: String? = nil, uploadSHA256: String? = nil, attempts: Int = 0, callbackState: CallbackState? = nil) {
        self.id = id
        self.kind = kind
        self.state = state
        self.ownerID = ownerID
        self.takeID = takeID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.detail = detail
        self.relayKeyID = relayKeyID
        self.idempotencyKey = idempotencyKey
        self.uploadSHA256 = uploadSHA256
        self.attempts = attempts
        self.callbackState = callbackState
        notBefore = nil
        leaseNode = nil
        leaseExpiresAt = nil
    }

    public var isFinal: Bool { state.isFinal }

    enum CodingKeys: String, CodingKey {
        case id, kind, state, ownerID = "owner_id", takeID = "take_id", createdAt = "created_at", updatedAt = "updated_at", detail
        case relayKeyID = "relay_key_id", idempotencyKey = "idempotency_key", uploadSHA256 = "upload_sha256", attempts
        case callbackState = "callback_state", notBefore = "not_before", leaseNode = "lease_node", leaseExpiresAt = "lease_expires_at"
    }
}
