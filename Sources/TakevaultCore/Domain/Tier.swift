/// Account tiers and what they buy (privacy policy): free keeps session archives 7 days, pro 30,
/// studio until deleted. The windows themselves are configuration (`RetentionPolicy`); the raw
/// value is what objects' tags, manifests, the catalog, the relay and the CLI spell.
public enum Tier: String, Sendable, Codable, CaseIterable {
    case free, pro, studio

    /// The tier named `text`, or ``DomainValueError/invalidTier(_:)``.
    public init(validating text: String) throws {
        guard let tier = Tier(rawValue: text) else { throw DomainValueError.invalidTier(text) }
        self = tier
    }
}
