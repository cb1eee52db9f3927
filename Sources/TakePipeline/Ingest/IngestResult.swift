import TakeArchive
import TakevaultCore

/// What ingest did: the take, its retention, and its analysis and preview reports.
public struct IngestResult: Sendable, Codable {
    public var takeID: String
    public var owner: String
    public var tier: Tier
    public var retainUntil: String?
    /// `false` when the same upload was already a take of this owner (ingest is idempotent).
    public var created: Bool
    public var manifest: String
    /// The analysis report (as `analyze` prints it).
    public var analysis: JSONValue
    /// `gain_db`, `limiter_engaged`, `integrated_lufs`, `true_peak_dbtp`, … of the preview.
    public var preview: JSONValue?

    enum CodingKeys: String, CodingKey {
        case takeID = "take_id", owner, tier, retainUntil = "retain_until", created, manifest, analysis, preview
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(takeID, forKey: .takeID)
        try container.encode(owner, forKey: .owner)
        try container.encode(tier, forKey: .tier)
        try container.encode(retainUntil, forKey: .retainUntil)
        try container.encode(created, forKey: .created)
        try container.encode(manifest, forKey: .manifest)
        try container.encode(analysis, forKey: .analysis)
        try container.encode(preview, forKey: .preview)
    }
}

/// The stages ingest reports progress in.
public enum IngestStage: String, Sendable {
    case hashing = "hash"
    case analysing = "analyse + master"
    case previewing = "preview"
    case sealing = "seal"
    case committing = "commit"
}
