/// A domain value that does not parse: an identifier outside FORMAT.md §2's alphabet, a tier that
/// does not exist. Usage errors (exit 2, HTTP 400): the caller sent a value takevault never accepts.
public enum DomainValueError: ReasonCoded, Equatable, Sendable {
    /// An identifier (owner, take, session, participant) is not allowed.
    case invalidIdentifier(kind: String, value: String)
    /// Not one of free, pro, studio.
    case invalidTier(String)

    public var code: String {
        switch self {
        case .invalidIdentifier: "invalid_identifier"
        case .invalidTier: "invalid_tier"
        }
    }

    public var message: String {
        switch self {
        case .invalidIdentifier(let kind, let value):
            "\(kind) \"\(value.clippedForMessage)\" is not allowed: use 1–64 lower-case letters, digits, '.', '_' or '-', beginning with a letter or digit (FORMAT.md §2)."
        case .invalidTier(let tier):
            "\"\(tier.clippedForMessage)\" is not a tier: use free, pro or studio."
        }
    }

    public var category: ErrorCategory { .usage }
}

extension String {
    /// At most 80 characters, control characters escaped: safe to print whatever a caller sent.
    var clippedForMessage: String {
        let escaped = unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return escaped.count > 80 ? String(escaped.prefix(80)) + "…" : escaped
    }
}
