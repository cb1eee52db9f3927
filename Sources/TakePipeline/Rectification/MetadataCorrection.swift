import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A correction of a take's metadata (privacy policy: inaccurate information corrected): the
/// fields named are set, `null` clears one; fields not named stay as they are. Only the facts a
/// relay or `--meta` gave can be corrected — `session_id`, `participants`, `recorded_at`,
/// `daw_transport`; any other key is refused rather than ignored.
public struct MetadataCorrection: Sendable, Equatable {
    public var sessionID: String??
    public var participants: [Participant]??
    public var recordedAt: String??
    public var dawTransport: JSONValue??

    public init() {}

    /// The largest correction accepted (the upload metadata header's bound).
    public static let maximumBytes = 16 * 1024
    /// The most participants a take may list.
    public static let maximumParticipants = 256

    /// Parses a JSON object of corrections, checking each value as ingest checks it.
    public static func parse(_ bytes: [UInt8]) throws -> MetadataCorrection {
        guard bytes.count <= maximumBytes else { throw PipelineError.invalidMetadata("the correction is over \(maximumBytes) bytes") }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)), case .object(let fields) = value else {
            throw PipelineError.invalidMetadata("the correction is not a JSON object")
        }
        guard !fields.isEmpty else { throw PipelineError.invalidMetadata("the correction names no field") }
        var correction = MetadataCorrection()
        for (key, value) in fields {
            switch key {
            case "session_id":
                correction.sessionID = .some(try string(value, key))
            case "recorded_at":
                correction.recordedAt = .some(try string(value, key))
            case "daw_transport":
                if case .null = value { correction.dawTransport = .some(nil) } else { correction.dawTransport = .some(value) }
            case "participants":
                if case .null = value { correction.participants = .some(nil); continue }
                guard case .array(let items) = value, items.count <= maximumParticipants else {
                    throw PipelineError.invalidMetadata("participants must be an array of at most \(maximumParticipants)")
                }
                let decoded = try? JSONDecoder().decode([Participant].self, from: JSONEncoder().encode(value))
                guard let decoded, decoded.count == items.count else { throw PipelineError.invalidMetadata("participants are objects with id and role") }
                correction.participants = .some(decoded)
            default:
                throw PipelineError.invalidMetadata("\(key.prefix(64)) cannot be corrected (session_id, participants, recorded_at, daw_transport can)")
            }
        }
        // Checked as ingest checks metadata.
        try TakeMetadata(sessionID: correction.sessionID ?? nil, participants: (correction.participants ?? nil) ?? [],
                         recordedAt: correction.recordedAt ?? nil, dawTransport: correction.dawTransport ?? nil).validate()
        return correction
    }

    private static func string(_ value: JSONValue, _ key: String) throws -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: throw PipelineError.invalidMetadata("\(key) must be a string or null")
        }
    }

    /// `metadata` with the correction applied, and the names of the fields whose value changed.
    func applied(to metadata: TakeMetadata) -> (TakeMetadata, changed: [String]) {
        var result = metadata
        var changed: [String] = []
        if let value = sessionID, value != metadata.sessionID { result.sessionID = value; changed.append("session_id") }
        if let value = participants, (value ?? []) != metadata.participants { result.participants = value ?? []; changed.append("participants") }
        if let value = recordedAt, value != metadata.recordedAt { result.recordedAt = value; changed.append("recorded_at") }
        if let value = dawTransport, value != metadata.dawTransport { result.dawTransport = value; changed.append("daw_transport") }
        return (result, changed)
    }
}
