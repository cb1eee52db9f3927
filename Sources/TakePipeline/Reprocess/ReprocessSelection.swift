import TakeCatalog
import TakevaultCore

/// Which takes to reprocess: every given criterion must hold (AND).
public struct ReprocessSelection: Sendable {
    public var takes: [String] = []
    public var owner: String?
    public var session: String?
    public var tier: Tier?
    /// ISO 8601; ingested strictly before / at or after.
    public var ingestedBefore: String?
    public var ingestedAfter: String?
    /// Only takes whose manifest records an older pipeline version (the number after the slash).
    public var pipelineOlderThan: Int?
    /// Required when nothing else narrows the selection, so a bare `reprocess` touches nothing.
    public var all = false

    public init() {}

    /// Whether anything was asked for.
    public var isSpecified: Bool {
        all || !takes.isEmpty || owner != nil || session != nil || tier != nil || ingestedBefore != nil || ingestedAfter != nil
            || pipelineOlderThan != nil
    }

    /// Whether the catalog row matches (the pipeline version is checked on the manifest).
    func matches(_ take: TakeRecord) -> Bool {
        if !takes.isEmpty && !takes.contains(take.id) { return false }
        if let owner, take.ownerID != owner { return false }
        if let session, take.sessionID != session { return false }
        if let tier, take.tier != tier { return false }
        if let ingestedBefore, !(take.ingestedAt < ingestedBefore) { return false }
        if let ingestedAfter, !(take.ingestedAt >= ingestedAfter) { return false }
        return true
    }
}
