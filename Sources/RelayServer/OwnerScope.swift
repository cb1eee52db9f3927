import TakevaultCore

/// The owners one relay key may upload for (`owners` in `relays.json`, docs/RELAY.md): exact owner
/// ids, prefixes ending in `*` (`eu-*`), or `*` alone for every owner — only when the operator
/// writes it. A relay with no patterns may upload for nobody.
public struct OwnerScope: Sendable, Equatable, CustomStringConvertible {
    /// The patterns as written.
    public let patterns: [String]

    /// Checks every pattern; throws the first that is not one.
    public init(patterns: [String]) throws(OwnerScopeError) {
        for pattern in patterns {
            guard Self.isValidPattern(pattern) else { throw OwnerScopeError(pattern: pattern) }
        }
        self.patterns = patterns
    }

    /// Whether `owner` is inside the scope.
    public func permits(_ owner: String) -> Bool {
        patterns.contains { pattern in
            pattern.hasSuffix("*") ? owner.hasPrefix(pattern.dropLast()) : owner == pattern
        }
    }

    public var description: String { patterns.joined(separator: ",") }

    /// `*`, an owner id, or an owner-id prefix followed by `*` (the prefix itself from the id
    /// alphabet, so a pattern can never match what an id cannot be).
    static func isValidPattern(_ pattern: String) -> Bool {
        if pattern == "*" { return true }
        guard pattern.hasSuffix("*") else { return Identifier.isValid(pattern) }
        let prefix = String(pattern.dropLast())
        // A prefix is an id's beginning: check it as an id (a one-character stand-in for the rest).
        return Identifier.isValid(prefix + "0") && !prefix.contains("*")
    }
}

/// A scope pattern that is not `*`, an owner id or an id prefix followed by `*`.
public struct OwnerScopeError: Error, Sendable, Equatable {
    public let pattern: String
}
