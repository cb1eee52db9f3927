#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Account tiers and what they buy (privacy policy).
public enum Tier: String, Sendable, Codable, CaseIterable {
    case free, pro, studio

    public init(validating text: String) throws {
        guard let tier = Tier(rawValue: text) else { throw PipelineError.invalidTier(text) }
        self = tier
    }
}

/// How long takes are kept, by tier, counted from ingest: free 7 days, pro 30 days, studio until
/// deleted. Configurable; these are the privacy policy's defaults.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    public var freeDays: Int?
    public var proDays: Int?
    public var studioDays: Int?

    public init(freeDays: Int? = 7, proDays: Int? = 30, studioDays: Int? = nil) {
        self.freeDays = freeDays
        self.proDays = proDays
        self.studioDays = studioDays
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

    enum CodingKeys: String, CodingKey { case freeDays = "free_days", proDays = "pro_days", studioDays = "studio_days" }
}
