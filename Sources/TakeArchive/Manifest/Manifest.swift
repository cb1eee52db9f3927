import TakevaultCore

/// The clear part of a manifest (FORMAT.md §6.1): what a sweep needs without keys. Authenticated
/// as associated data of the sealed body, so changing any field makes the manifest fail to open.
public struct ManifestHeader: Sendable, Equatable, Codable {
    public var format: Int
    public var takeID: String
    public var owner: String
    public var tier: Tier
    /// ISO 8601 (UTC, seconds), or `nil` for "until deleted".
    public var retainUntil: String?
    public var generation: Int
    /// The owner key version the body is sealed under.
    public var keyVersion: Int

    public init(takeID: String, owner: String, tier: Tier, retainUntil: String?, generation: Int, keyVersion: Int) {
        format = ManifestSealer.currentFormat
        self.takeID = takeID
        self.owner = owner
        self.tier = tier
        self.retainUntil = retainUntil
        self.generation = generation
        self.keyVersion = keyVersion
    }

    enum CodingKeys: String, CodingKey {
        case format, takeID = "take_id", owner, tier, retainUntil = "retain_until", generation, keyVersion = "key_version"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(takeID, forKey: .takeID)
        try container.encode(owner, forKey: .owner)
        try container.encode(tier.rawValue, forKey: .tier)
        try container.encode(retainUntil, forKey: .retainUntil)   // null, not absent
        try container.encode(generation, forKey: .generation)
        try container.encode(keyVersion, forKey: .keyVersion)
    }
}

/// The sealed part of a manifest (FORMAT.md §6.2, schema 1): everything the service keeps about a
/// take, and the artefacts' chunk lists.
public struct ManifestBody: Sendable, Equatable, Codable {
    public var schema = 1
    public var takeID: String
    public var owner: String
    public var sessionID: String?
    public var participants: [Participant]
    /// When the take was recorded (from the relay or `--meta`), ISO 8601.
    public var recordedAt: String?
    public var ingestedAt: String
    public var tier: Tier
    public var retainUntil: String?
    public var original: OriginalUpload
    /// The DAW's transport state (tempo, time signature, position …), as the relay passed it.
    public var dawTransport: JSONValue?
    /// The analysis report (`takevault analyze`'s JSON).
    public var analysis: JSONValue
    /// The preview chain's report.
    public var preview: JSONValue?
    public var artefacts: [Artefact]
    public var pipeline: PipelineRecord
    public var generation: Int

    public init(
        takeID: String, owner: String, sessionID: String?, participants: [Participant], recordedAt: String?, ingestedAt: String,
        tier: Tier, retainUntil: String?, original: OriginalUpload, dawTransport: JSONValue?, analysis: JSONValue,
        preview: JSONValue?, artefacts: [Artefact], pipeline: PipelineRecord, generation: Int
    ) {
        self.takeID = takeID
        self.owner = owner
        self.sessionID = sessionID
        self.participants = participants
        self.recordedAt = recordedAt
        self.ingestedAt = ingestedAt
        self.tier = tier
        self.retainUntil = retainUntil
        self.original = original
        self.dawTransport = dawTransport
        self.analysis = analysis
        self.preview = preview
        self.artefacts = artefacts
        self.pipeline = pipeline
        self.generation = generation
    }

    enum CodingKeys: String, CodingKey {
        case schema, takeID = "take_id", owner, sessionID = "session_id", participants, recordedAt = "recorded_at"
        case ingestedAt = "ingested_at", tier, retainUntil = "retain_until", original, dawTransport = "daw_transport"
        case analysis, preview, artefacts, pipeline, generation
    }

    public func artefact(_ kind: ArtefactKind) -> Artefact? { artefacts.first { $0.kind == kind } }
}

/// What was uploaded.
public struct OriginalUpload: Sendable, Equatable, Codable {
    public var fileName: String
    public var bytes: Int64
    public var sha256: String
    /// The probe result (format, subtype, rate, channels, frames, metadata …).
    public var probe: JSONValue

    public init(fileName: String, bytes: Int64, sha256: String, probe: JSONValue) {
        self.fileName = fileName
        self.bytes = bytes
        self.sha256 = sha256
        self.probe = probe
    }

    enum CodingKeys: String, CodingKey { case fileName = "file_name", bytes, sha256, probe }
}

/// One stored artefact: `master`, `preview`, `waveform` or `report`.
public struct Artefact: Sendable, Equatable, Codable {
    public var kind: ArtefactKind
    /// `flac`, `original` (the upload's own bytes), `opus`, `audiowaveform-dat`, `json`.
    public var codec: String
    public var mediaType: String
    /// The codec's settings (and, for the preview, the levelling).
    public var settings: JSONValue
    public var bytes: Int64
    public var sha256: String
    public var chunkSize: Int
    public var chunks: [ChunkReference]

    public init(kind: ArtefactKind, codec: String, mediaType: String, settings: JSONValue, bytes: Int64, sha256: String, chunkSize: Int, chunks: [ChunkReference]) {
        self.kind = kind
        self.codec = codec
        self.mediaType = mediaType
        self.settings = settings
        self.bytes = bytes
        self.sha256 = sha256
        self.chunkSize = chunkSize
        self.chunks = chunks
    }

    enum CodingKeys: String, CodingKey {
        case kind, codec, mediaType = "media_type", settings, bytes, sha256, chunkSize = "chunk_size", chunks
    }
}

/// A chunk of an artefact, in order.
public struct ChunkReference: Sendable, Equatable, Codable {
    public var id: ChunkID
    /// Plaintext bytes.
    public var size: Int

    public init(id: ChunkID, size: Int) {
        self.id = id
        self.size = size
    }
}

/// What produced the artefacts.
public struct PipelineRecord: Sendable, Equatable, Codable {
    public var version: String
    /// The effective settings.
    public var settings: JSONValue
    /// SHA-256 of the canonical settings JSON: reprocessing skips takes already made with them.
    public var settingsHash: String
    public var codecVersions: [String: String]

    public init(version: String, settings: JSONValue, settingsHash: String, codecVersions: [String: String]) {
        self.version = version
        self.settings = settings
        self.settingsHash = settingsHash
        self.codecVersions = codecVersions
    }

    enum CodingKeys: String, CodingKey { case version, settings, settingsHash = "settings_hash", codecVersions = "codec_versions" }
}
