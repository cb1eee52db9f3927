/// Identifiers that become parts of object names and file paths: owner ids, take ids, session ids
/// (and participants' ids, which name owners). One rule for all of them, enforced wherever an id
/// enters takevault — the CLI, the relay, catalog rebuild — and stated in FORMAT.md §2:
///
/// 1–64 characters from `a–z 0–9 . _ -`, beginning with a letter or a digit.
///
/// Lower case only: an id is a folder name in the local store, and on a case-insensitive file
/// system `Alice` and `alice` would be one folder, so erasing one owner would erase the other.
/// Refusing capitals (rather than folding them) means no two accepted ids can ever collide, and no
/// id silently becomes another. The alphabet rules out `/`, `..`, NUL, absolute paths and
/// anything a file system or S3 key could misread, so an id can never escape the vault or its
/// owner's prefix; the first character rules out hidden names and option-like `-x`.
public enum Identifier {
    public static let maximumLength = 64

    public static func isValid(_ value: String) -> Bool {
        guard (1...maximumLength).contains(value.utf8.count), let first = value.utf8.first, isLowerAlphanumeric(first) else { return false }
        return value.utf8.allSatisfy { byte in
            isLowerAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    /// Returns `value` or throws ``DomainValueError/invalidIdentifier(kind:value:)``.
    @discardableResult
    public static func validate(_ value: String, kind: String) throws -> String {
        guard isValid(value) else { throw DomainValueError.invalidIdentifier(kind: kind, value: value) }
        return value
    }
}
