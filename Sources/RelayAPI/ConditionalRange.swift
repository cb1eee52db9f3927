/// The conditional and range headers of an artefact `GET` (RFC 9110 §13, §14), parsed from the
/// request as it came: `Range` (one `bytes=` range; anything else is ignored and the whole artefact
/// served, as the RFC allows), `If-None-Match` and `If-Range` against the artefact's strong
/// entity tag. Every number is parsed with overflow checks; nothing here allocates more than the
/// header it reads.
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable `Range`: the whole representation (`200`).
    case whole
    /// Bytes `range` of it (`206`), within the representation.
    case partial(Range<Int64>)
    /// A well-formed range none of whose bytes exist (`416`).
    case unsatisfiable

    /// Evaluates `header` against a representation of `length` bytes.
    public static func evaluate(_ header: String?, length: Int64) -> ByteRangeRequest {
        guard let header else { return .whole }
        let text = Substring(header).trimmingSpaces
        guard text.utf8.count <= 256, text.lowercased().hasPrefix("bytes=") else { return .whole }
        let specification = text.dropFirst(6).trimmingSpaces
        // Several ranges: the whole artefact instead (a player asks for one).
        guard !specification.contains(",") else { return .whole }
        guard let dash = specification.firstIndex(of: "-") else { return .whole }
        let first = specification[..<dash].trimmingSpaces, last = specification[specification.index(after: dash)...].trimmingSpaces
        if first.isEmpty {
            // Suffix: the last N bytes.
            guard let suffix = decimal(last) else { return .whole }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .partial((length - min(suffix, length))..<length)
        }
        guard let start = decimal(first) else { return .whole }
        var end: Int64 = length   // exclusive
        if !last.isEmpty {
            guard let inclusive = decimal(last), inclusive >= start else { return .whole }
            end = inclusive < length ? inclusive + 1 : length
        }
        guard start < length else { return .unsatisfiable }
        return .partial(start..<end)
    }

    /// 1–19 ASCII digits as a non-negative `Int64`; `nil` for anything else or an overflow.
    static func decimal(_ text: Substring) -> Int64? {
        guard (1...19).contains(text.utf8.count) else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int64(byte - 0x30))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }
}

/// Entity-tag comparisons for an artefact whose strong tag is `"<sha256>"`.
public enum EntityTagCondition {
    /// The quoted strong tag for a SHA-256 (hex).
    public static func tag(sha256: String) -> String { "\"" + sha256 + "\"" }

    /// Whether `If-None-Match` (`*`, or a list of tags, weak or strong) matches `tag` under the weak
    /// comparison the RFC prescribes for it: `304` instead of the body.
    public static func noneMatchHits(_ header: String?, tag: String) -> Bool {
        guard let header else { return false }
        let text = Substring(header).trimmingSpaces
        if text == "*" { return true }
        return quotedTags(text).contains(String(tag.dropFirst().dropLast()))
    }

    /// Whether `If-Range` lets the range through: only when it is exactly our strong tag (a date,
    /// a weak tag or another tag means "send the whole representation").
    public static func ifRangeAllows(_ header: String?, tag: String) -> Bool {
        guard let header else { return true }
        return Substring(header).trimmingSpaces == tag
    }

    /// The opaque parts of every `"…"` in `text` (a `W/` prefix does not matter for the weak
    /// comparison), at most 64 of them.
    static func quotedTags(_ text: Substring) -> [String] {
        guard text.utf8.count <= 8192 else { return [] }
        var tags: [String] = []
        var rest = text[...]
        while tags.count < 64, let open = rest.firstIndex(of: "\"") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: "\"") else { break }
            tags.append(String(rest[after..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return tags
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
