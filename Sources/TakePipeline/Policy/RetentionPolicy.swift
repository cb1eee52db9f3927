import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How long things are kept (privacy policy defaults; configurable in `config.json`):
/// takes by tier counted from ingest (free 7 days, pro 30, studio until deleted), quarantined
/// uploads and job/event records 30 days, anonymous deletion tombstones 1 year; chunks no manifest
/// references are removed after a grace period that covers an ingest still writing them.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    public var freeDays: Int?
    public var proDays: Int?
    public var studioDays: Int?
    public var quarantineDays: Int
    public var recordDays: Int
    public var tombstoneDays: Int
    public var orphanGraceHours: Int

    public init(freeDays: Int? = 7, proDays: Int? = 30, studioDays: Int? = nil, quarantineDays: Int = 30, recordDays: Int = 30,
                tombstoneDays: Int = 365, orphanGraceHours: Int = 24) {
        self.freeDays = freeDays
        self.proDays = proDays
        self.studioDays = studioDays
        self.quarantineDays = quarantineDays
        self.recordDays = recordDays
        self.tombstoneDays = tombstoneDays
        self.orphanGraceHours = orphanGraceHours
    }

    public init(from decoder: Decoder) throws {
        let defaults = RetentionPolicy()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        freeDays = container.contains(.freeDays) ? try container.decodeIfPresent(Int.self, forKey: .freeDays) : defaults.freeDays
        proDays = container.contains(.proDays) ? try container.decodeIfPresent(Int.self, forKey: .proDays) : defaults.proDays
        studioDays = container.contains(.studioDays) ? try container.decodeIfPresent(Int.self, forKey: .studioDays) : defaults.studioDays
        quarantineDays = try container.decodeIfPresent(Int.self, forKey: .quarantineDays) ?? defaults.quarantineDays
        recordDays = try container.decodeIfPresent(Int.self, forKey: .recordDays) ?? defaults.recordDays
        tombstoneDays = try container.decodeIfPresent(Int.self, forKey: .tombstoneDays) ?? defaults.tombstoneDays
        orphanGraceHours = try container.decodeIfPresent(Int.self, forKey: .orphanGraceHours) ?? defaults.orphanGraceHours
    }

    public func days(for tier: Tier) -> Int? {
        switch tier {
        case .free: freeDays
        case .pro: proDays
        case .studio: studioDays
        }
    }

    /// The instant after which a take of `tier` ingested at `ingestedAt` is no longer kept, or
    /// `nil` when it is kept until deleted.
    public func retainUntil(tier: Tier, ingestedAt: Date) -> Date? {
        days(for: tier).map { ingestedAt.addingTimeInterval(Double($0) * 86_400) }
    }

    /// When a tier changes, a take's end is counted from its ingest under the new tier — except that a
    /// downgrade never leaves less than the new tier's window counted from the change (nor more
    /// than the old tier gave), so an owner always has the new window to export (docs/OPERATIONS.md).
    public func retainUntil(tier: Tier, ingestedAt: Date, previous: Date?, changedAt: Date) -> Date? {
        guard let days = days(for: tier) else { return nil }
        let fromIngest = ingestedAt.addingTimeInterval(Double(days) * 86_400)
        let fromChange = changedAt.addingTimeInterval(Double(days) * 86_400)
        let cap = previous.map { min($0, fromChange) } ?? fromChange
        return max(fromIngest, cap)
    }

    enum CodingKeys: String, CodingKey {
        case freeDays = "free_days", proDays = "pro_days", studioDays = "studio_days", quarantineDays = "quarantine_days"
        case recordDays = "record_days", tombstoneDays = "tombstone_days", orphanGraceHours = "orphan_grace_hours"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(freeDays, forKey: .freeDays)
        try container.encode(proDays, forKey: .proDays)
        try container.encode(studioDays, forKey: .studioDays)
        try container.encode(quarantineDays, forKey: .quarantineDays)
        try container.encode(recordDays, forKey: .recordDays)
        try container.encode(tombstoneDays, forKey: .tombstoneDays)
        try container.encode(orphanGraceHours, forKey: .orphanGraceHours)
    }
}
