import TakeArchive
import TakevaultCore

/// A take as a collaborator's service sees it (`GET /v1/takes/{take}`, docs/RELAY.md): who and
/// what it is, how long it is kept, the analysis, and each artefact's size, media type and
/// SHA-256. Nothing about keys, chunks or the store.
public struct DeliveredTakeSummary: Sendable, Codable, Equatable {
    public var takeID: String
    public var owner: String
    public var sessionID: String?
    public var tier: Tier
    /// `nil`: kept until deleted.
    public var retainUntil: String?
    public var recordedAt: String?
    public var ingestedAt: String
    public var fileName: String
    public var durationS: Double
    public var participants: [Participant]
    public var dawTransport: JSONValue?
    /// The analysis report (as `takevault analyze --json` prints it).
    public var analysis: JSONValue
    /// The preview's levelling (gain, limiter, measured loudness and true peak).
    public var preview: JSONValue?
    public var artefacts: [Entry]
    public var generation: Int
    /// The owner's processing is restricted: artefacts are not delivered.
    public var restricted: Bool

    /// One artefact's public description.
    public struct Entry: Sendable, Codable, Equatable {
        public var kind: ArtefactKind
        public var mediaType: String
        public var codec: String
        public var bytes: Int64
        public var sha256: String

        enum CodingKeys: String, CodingKey { case kind, mediaType = "media_type", codec, bytes, sha256 }
    }

    enum CodingKeys: String, CodingKey {
        case takeID = "take_id", owner, sessionID = "session_id", tier, retainUntil = "retain_until", recordedAt = "recorded_at"
        case ingestedAt = "ingested_at", fileName = "file_name", durationS = "duration_s", participants, dawTransport = "daw_transport"
        case analysis, preview, artefacts, generation, restricted
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(takeID, forKey: .takeID)
        try container.encode(owner, forKey: .owner)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(tier, forKey: .tier)
        try container.encode(retainUntil, forKey: .retainUntil)   // null means "until deleted": say it
        try container.encodeIfPresent(recordedAt, forKey: .recordedAt)
        try container.encode(ingestedAt, forKey: .ingestedAt)
        try container.encode(fileName, forKey: .fileName)
        try container.encode(durationS, forKey: .durationS)
        try container.encode(participants, forKey: .participants)
        try container.encodeIfPresent(dawTransport, forKey: .dawTransport)
        try container.encode(analysis, forKey: .analysis)
        try container.encodeIfPresent(preview, forKey: .preview)
        try container.encode(artefacts, forKey: .artefacts)
        try container.encode(generation, forKey: .generation)
        try container.encode(restricted, forKey: .restricted)
    }

    init(_ manifest: OpenedManifest, restricted: Bool) {
        let body = manifest.body
        takeID = body.takeID
        owner = manifest.header.owner
        sessionID = body.sessionID
        tier = manifest.header.tier
        retainUntil = manifest.header.retainUntil
        recordedAt = body.recordedAt
        ingestedAt = body.ingestedAt
        fileName = body.original.fileName
        durationS = body.analysis["duration_s"]?.doubleValue ?? 0
        participants = body.participants
        dawTransport = body.dawTransport
        analysis = body.analysis
        preview = body.preview
        artefacts = body.artefacts.map { Entry(kind: $0.kind, mediaType: $0.mediaType, codec: $0.codec, bytes: $0.bytes, sha256: $0.sha256) }
        generation = manifest.header.generation
        self.restricted = restricted
    }
}
