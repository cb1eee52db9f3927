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
        guard text.utf8.count <= 512, text.lowercased().hasPrefix("bytes=") else { return .whole }
        let specification = text.dropFirst(6).trimmingSpaces
        // Several ranges: the whole artefact instead (a player asks for one).
        guard !specification.contains(",") else { return .whole }
        guard let dash = specification.firstIndex(of: "-") else { return .whole }
        let first = specification[..<dash], last = specification[specification.index(after: dash)...]
        if first.isEmpty {
            // Suffix: the last N bytes (N past the length: all of them).
            guard let suffix = number(last) else { return .whole }
            guard length > 0, suffix != .value(0) else { return .unsatisfiable }
            if case .value(let count) = suffix, count < length { return .partial((length - count)..<length) }
            return .partial(0..<length)
        }
        guard let start = number(first) else { return .whole }
        var end: Int64 = length   // exclusive
        if !last.isEmpty {
            guard let inclusive = number(last) else { return .whole }
            switch (start, inclusive) {
            case (.value(let from), .value(let to)):
                guard to >= from else { return .whole }   // an invalid range: ignored
                end = to < length ? to + 1 : length
            case (.huge, .value):
                return .whole                              // last < first: invalid, ignored
            case (_, .huge):
                break                                      // clamped to the end
            }
        }
        guard case .value(let from) = start, from < length else { return .unsatisfiable }
        return .partial(from..<end)
    }

    /// A byte position as the header writes it: ASCII digits, any number of them.
    enum Number: Equatable {
        case value(Int64)
        /// More than an `Int64` holds: past the end of anything.
        case huge
    }

    /// ASCII digits (leading zeros allowed) as a ``Number``; `nil` for anything else.
    static func number(_ text: Substring) -> Number? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        var huge = false
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            guard !huge else { continue }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int64(byte - 0x30))
            if overflowA || overflowB { huge = true } else { value = sum }
        }
        return huge ? .huge : .value(value)
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
        let opaque = tag.dropFirst().dropLast()
        var rest = text[...]
        // Every `"…"` in the list (a `W/` prefix does not matter for the weak comparison).
        while let open = rest.firstIndex(of: "\"") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: "\"") else { return false }
            if rest[after..<close] == opaque { return true }
            rest = rest[rest.index(after: close)...]
        }
        return false
    }

    /// Whether `If-Range` lets the range through: only when it is exactly our strong tag (a date,
    /// a weak tag or another tag means "send the whole representation").
    public static func ifRangeAllows(_ header: String?, tag: String) -> Bool {
        guard let header else { return true }
        return Substring(header).trimmingSpaces == tag
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
