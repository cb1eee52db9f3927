import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a relay says about a take, sent as the `X-Takevault-Metadata` header: base64url (no
/// padding) of this JSON object.
///
/// ```json
/// {"owner": "u1", "tier": "pro", "file_name": "bass.wav", "session_id": "s1",
///  "participants": [{"id": "u2", "role": "producer"}], "recorded_at": "2026-11-29T10:00:00Z",
///  "daw_transport": {"tempo_bpm": 92, "time_signature": "4/4", "position_beats": 128}}
/// ```
/// `owner` and `tier` are required; the rest is optional. `daw_transport` is any JSON object,
/// kept as it is in the take's manifest.
public struct UploadMetadata: Sendable, Equatable, Codable {
    public var owner: String
    public var tier: Tier
    public var fileName: String?
    public var sessionID: String?
    public var participants: [Participant]?
    public var recordedAt: String?
    public var dawTransport: JSONValue?

    /// The largest metadata header the server reads (bytes, encoded).
    public static let maximumHeaderBytes = 16 * 1024

    public init(owner: String, tier: Tier, fileName: String? = nil, sessionID: String? = nil, participants: [Participant]? = nil,
                recordedAt: String? = nil, dawTransport: JSONValue? = nil) {
        self.owner = owner
        self.tier = tier
        self.fileName = fileName
        self.sessionID = sessionID
        self.participants = participants
        self.recordedAt = recordedAt
        self.dawTransport = dawTransport
    }

    enum CodingKeys: String, CodingKey {
        case owner, tier, fileName = "file_name", sessionID = "session_id", participants, recordedAt = "recorded_at", dawTransport = "daw_transport"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        owner = try container.decode(String.self, forKey: .owner)
        let tierText = try container.decode(String.self, forKey: .tier)
        guard let tier = Tier(rawValue: tierText) else { throw MetadataProblem.invalidTier(tierText) }
        self.tier = tier
        fileName = try container.decodeIfPresent(String.self, forKey: .fileName)
        sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
        participants = try container.decodeIfPresent([Participant].self, forKey: .participants)
        recordedAt = try container.decodeIfPresent(String.self, forKey: .recordedAt)
        dawTransport = try container.decodeIfPresent(JSONValue.self, forKey: .dawTransport)
    }

    /// The header value: base64url of the JSON, without padding.
    public func headerValue() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Base64URL.encode(Array(try encoder.encode(self)))
    }

    /// Decodes a header value; `nil` if it is not base64url of such a JSON object.
    public static func decode(headerValue: String) -> Result<UploadMetadata, MetadataProblem> {
        guard headerValue.utf8.count <= maximumHeaderBytes else { return .failure(.tooLarge) }
        guard let bytes = Base64URL.decode(headerValue) else { return .failure(.notBase64URL) }
        do { return .success(try JSONDecoder().decode(UploadMetadata.self, from: Data(bytes))) } catch let problem as MetadataProblem {
            return .failure(problem)
        } catch {
            return .failure(.notJSON(String(describing: error)))
        }
    }

    /// Why a metadata header could not be read.
    public enum MetadataProblem: Error, Sendable, Equatable {
        case tooLarge
        case notBase64URL
        case notJSON(String)
        /// Valid JSON whose tier is not free, pro or studio.
        case invalidTier(String)

        public var message: String {
            switch self {
            case .invalidTier(let tier): "tier \"\(tier.prefix(20))\" is not free, pro or studio."
            case .tooLarge: "the metadata header is larger than \(UploadMetadata.maximumHeaderBytes) bytes"
            case .notBase64URL: "the metadata header is not base64url"
            case .notJSON(let detail): "the metadata is not the expected JSON object (\(detail.prefix(200)))"
            }
        }
    }
}

/// Base64url without padding (RFC 4648 §5).
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        String(Data(bytes).base64EncodedString().compactMap { character -> Character? in
            switch character {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: character
            }
        })
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard !text.contains("=") && !text.contains("+") && !text.contains("/") else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
