import TakevaultCore

/// Unbuffered writes to stdout or stderr, so JSON on stdout and messages on stderr never
/// interleave or get lost when the process exits with a status.
///
/// Text for people (``write(_:)``) reaches a terminal, and much of it comes from outside: file
/// names and metadata a relay sent, ids and JSON someone typed. Control characters in it are
/// written as `\u{1B}`-style escapes, so an upload named with an escape sequence cannot recolour,
/// clear or rewrite the operator's screen; line breaks and tabs the program itself writes stay.
/// JSON goes out as encoded (``writeJSON(_:)``): its encoder escapes what JSON requires. A
/// progress line starts with the program's own erase-line sequence (``writeErasingLine(_:)``).
struct FileDescriptorOutput {
    let descriptor: Int32

    static let standardOutput = FileDescriptorOutput(descriptor: 1)
    static let standardError = FileDescriptorOutput(descriptor: 2)

    /// Writes all of `text` with control characters other than line feeds and tabs escaped; a
    /// closed stream is ignored (there is nowhere left to report it).
    func write(_ text: String) {
        try? SystemIO.writeAll(descriptor, Array(TerminalText.escaped(text, keepingLineBreaks: true).utf8))
    }

    /// Writes JSON text as it is.
    func writeJSON(_ text: String) {
        try? SystemIO.writeAll(descriptor, Array(text.utf8))
    }

    /// Returns the cursor to the start of the line and erases it, then writes `text` as
    /// ``write(_:)`` does: how progress lines redraw themselves.
    func writeErasingLine(_ text: String = "") {
        try? SystemIO.writeAll(descriptor, Array(("\r\u{1b}[2K" + TerminalText.escaped(text, keepingLineBreaks: true)).utf8))
    }
}

/// Text made safe to show on a terminal.
enum TerminalText {
    /// `text` with every C0 control character, DEL and C1 control character written as `\u{XX}`
    /// (line feeds and tabs kept when `keepingLineBreaks`; a value from outside shown inside a
    /// line passes `false`, so it cannot start a line of its own).
    static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingLineBreaks: keepingLineBreaks) }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if isControl(scalar, keepingLineBreaks: keepingLineBreaks) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        if keepingLineBreaks && (scalar == "\n" || scalar == "\t") { return false }
        return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
