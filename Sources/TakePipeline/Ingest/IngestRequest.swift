import TakeArchive
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What to ingest and who it belongs to.
public struct IngestRequest: Sendable {
    public var path: String
    public var owner: String
    public var tier: Tier
    /// The name the musician's file had (defaults to the path's last component).
    public var originalName: String?
    public var metadata: TakeMetadata
    /// The relay key id when the upload came through `serve`: part of the take id (FORMAT.md §3),
    /// so one relay's upload never becomes, or reveals, another's take.
    public var relayKeyID: String?
    /// Whether a rejected upload is copied to this vault folder's `quarantine/`. The relay says no
    /// for a staged upload: it stays staged in the store, sealed (never in the clear at rest),
    /// where an erasure reaches it whichever node runs it (a node's own folder it would not).
    public var quarantineLocally = true

    public init(path: String, owner: String, tier: Tier, originalName: String? = nil, metadata: TakeMetadata = TakeMetadata(),
                relayKeyID: String? = nil) {
        self.path = path
        self.owner = owner
        self.tier = tier
        self.originalName = originalName
        self.metadata = metadata
        self.relayKeyID = relayKeyID
    }
}

/// Session facts the relay (or `--meta`) passes with a take.
///
/// `--meta` JSON: `{"session_id": "s1", "participants": [{"id": "u2", "role": "producer"}],
/// "recorded_at": "2026-11-29T10:00:00Z", "daw_transport": {…any JSON…}}`; every key optional.
public struct TakeMetadata: Sendable, Equatable, Codable {
    public var sessionID: String?
    public var participants: [Participant]
    public var recordedAt: String?
    public var dawTransport: JSONValue?

    public init(sessionID: String? = nil, participants: [Participant] = [], recordedAt: String? = nil, dawTransport: JSONValue? = nil) {
        self.sessionID = sessionID
        self.participants = participants
        self.recordedAt = recordedAt
        self.dawTransport = dawTransport
    }

    enum CodingKeys: String, CodingKey { case sessionID = "session_id", participants, recordedAt = "recorded_at", dawTransport = "daw_transport" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
        participants = try container.decodeIfPresent([Participant].self, forKey: .participants) ?? []
        recordedAt = try container.decodeIfPresent(String.self, forKey: .recordedAt)
        dawTransport = try container.decodeIfPresent(JSONValue.self, forKey: .dawTransport)
    }

    /// Parses `--meta` JSON, checking ids and the timestamp.
    public static func parse(_ json: String) throws -> TakeMetadata {
        let metadata: TakeMetadata
        do { metadata = try JSONDecoder().decode(TakeMetadata.self, from: Data(json.utf8)) } catch {
            throw PipelineError.invalidMetadata("not the expected JSON object (\(error))")
        }
        try metadata.validate()
        return metadata
    }

    public func validate() throws {
        if let sessionID { guard Identifier.isValid(sessionID) else { throw PipelineError.invalidMetadata("session_id \"\(sessionID.prefix(80))\" is not a valid id") } }
        for participant in participants {
            guard Identifier.isValid(participant.id), !participant.role.isEmpty, participant.role.utf8.count <= 64 else {
                throw PipelineError.invalidMetadata("participant \"\(participant.id.prefix(80))\" needs a valid id and a role of 1–64 characters")
            }
        }
        if let recordedAt { guard Timestamp.date(recordedAt) != nil else { throw PipelineError.invalidMetadata("recorded_at must be ISO 8601") } }
        if let dawTransport {
            guard case .object = dawTransport else { throw PipelineError.invalidMetadata("daw_transport must be a JSON object") }
        }
    }
}
