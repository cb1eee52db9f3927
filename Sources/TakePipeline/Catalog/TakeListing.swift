import TakeCatalog
import TakevaultCore

/// The takes in the vault as `takevault ls` shows them, newest first, from the catalog alone
/// (no object is read).
public struct TakeListing: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Every take, or only `owner`'s (none for an owner the vault does not know).
    public func takes(owner: String? = nil) async throws -> [TakeSummary] {
        try await vault.catalog.takes(owner: owner).map(TakeSummary.init)
    }
}

/// One take's catalog entry: who, what, when and how long it is kept, as `ls --json` prints it.
public struct TakeSummary: Sendable, Codable, Equatable {
    public var takeId: String
    public var owner: String
    public var sessionId: String?
    public var tier: Tier
    /// The uploaded file's name.
    public var file: String
    public var ingestedAt: String
    /// `nil`: kept until deleted (studio).
    public var retainUntil: String?
    public var durationS: Double
    /// `nil` for a silent take.
    public var integratedLufs: Double?
    public var storedBytes: Int64
    public var generation: Int

    enum CodingKeys: String, CodingKey {
        case takeId = "take_id", owner, sessionId = "session_id", tier, file, ingestedAt = "ingested_at", retainUntil = "retain_until"
        case durationS = "duration_s", integratedLufs = "integrated_lufs", storedBytes = "stored_bytes", generation
    }

    init(_ take: TakeRecord) {
        takeId = take.id
        owner = take.ownerID
        sessionId = take.sessionID
        tier = take.tier
        file = take.originalName
        ingestedAt = take.ingestedAt
        retainUntil = take.retainUntil
        durationS = take.durationS
        integratedLufs = take.integratedLUFS
        storedBytes = take.storedBytes
        generation = take.generation
    }
}
