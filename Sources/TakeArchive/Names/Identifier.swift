/// Identifiers that become parts of object names and file paths: owner ids, take ids, session ids.
///
/// Allowed: 1–64 characters from `A–Z a–z 0–9 . _ -`, not starting with `.`. That rules out `..`,
/// `/`, NUL, absolute paths and anything a file system or S3 key could misread, so an id can never
/// escape the vault or its owner's prefix (FORMAT.md §2).
public enum Identifier {
    public static let maximumLength = 64

    public static func isValid(_ value: String) -> Bool {
        guard (1...maximumLength).contains(value.utf8.count), value.utf8.first != UInt8(ascii: ".") else { return false }
        return value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Returns `value` or throws ``ArchiveError/invalidIdentifier(kind:value:)``.
    @discardableResult
    public static func validate(_ value: String, kind: String) throws -> String {
        guard isValid(value) else { throw ArchiveError.invalidIdentifier(kind: kind, value: value) }
        return value
    }
}
