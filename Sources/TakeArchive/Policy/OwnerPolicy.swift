import TakevaultCore

/// An owner's policy state as the store keeps it (FORMAT.md §8): tier and its history, restriction
/// of processing, and holds, set and lifted. Each change writes a new version; the highest is
/// current. The catalog is an index of it: `catalog rebuild` restores it from here exactly.
public struct OwnerPolicy: Codable, Sendable, Equatable {
    /// One tier the owner had, from `at`.
    public struct TierPeriod: Codable, Sendable, Equatable {
        public var tier: Tier
        public var at: String

        public init(tier: Tier, at: String) {
            self.tier = tier
            self.at = at
        }
    }

    /// A hold, active or lifted (lifted holds stay: who held what and when is part of the record).
    public struct Hold: Codable, Sendable, Equatable {
        public var id: String
        /// `nil`: every take of the owner.
        public var take: String?
        public var reason: String
        public var setBy: String
        public var setAt: String
        public var liftedBy: String?
        public var liftedAt: String?

        public init(id: String, take: String?, reason: String, setBy: String, setAt: String, liftedBy: String? = nil, liftedAt: String? = nil) {
            self.id = id
            self.take = take
            self.reason = reason
            self.setBy = setBy
            self.setAt = setAt
            self.liftedBy = liftedBy
            self.liftedAt = liftedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, take, reason, setBy = "set_by", setAt = "set_at", liftedBy = "lifted_by", liftedAt = "lifted_at"
        }
    }

    public var schema = 1
    public var owner: String
    /// This version's number; the object's name carries it too, and the two must agree.
    public var version: Int
    public var createdAt: String
    public var tier: Tier
    public var tierHistory: [TierPeriod]
    public var restricted: Bool
    public var holds: [Hold]
    /// Set when a take of the owner was deleted or expired since their take-wrapping key was last
    /// replaced: the next `keys rotate` re-keys them, so that earlier copies of the store no longer
    /// open the deleted take's key (FORMAT.md §9). Absent means not due.
    public var rekeyDue: Bool?

    public init(owner: String, version: Int, createdAt: String, tier: Tier, tierHistory: [TierPeriod], restricted: Bool, holds: [Hold]) {
        self.owner = owner
        self.version = version
        self.createdAt = createdAt
        self.tier = tier
        self.tierHistory = tierHistory
        self.restricted = restricted
        self.holds = holds
    }

    enum CodingKeys: String, CodingKey {
        case schema, owner, version, createdAt = "created_at", tier, tierHistory = "tier_history", restricted, holds, rekeyDue = "rekey_due"
    }

    /// The same state, as the next version: what a change writes.
    public func nextVersion() -> OwnerPolicy {
        var next = self
        next.version += 1
        return next
    }

    /// Whether two versions say the same (their numbers aside).
    public func sameState(as other: OwnerPolicy) -> Bool {
        var a = self, b = other
        a.version = 0
        b.version = 0
        return a == b
    }
}
