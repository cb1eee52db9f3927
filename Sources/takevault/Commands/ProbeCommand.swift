import ArgumentParser
import AudioCodecs

/// `takevault probe FILE… [--json]`: what each upload is, from its headers.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Report format, sample rate, channels, length, layout and embedded metadata of audio files.",
        discussion: "Reads headers only. A file takevault would reject reports its reason code; the exit code is then 3 (rejected input)."
    )

    @Argument(help: "Audio files to probe.")
    var files: [String]

    @Flag(help: "Print JSON (one object, or an array with one object per file when given several).")
    var json = false

    func run() async throws {
        var batch = FileBatch<ProbeDocument>(json: json)
        for file in files {
            do {
                let info = try AudioProbe.probe(path: file)
                batch.succeeded(ProbeDocument(file: file, info: info), text: ProbeText.render(file: file, info: info))
            } catch {
                batch.failed(ProbeDocument(file: file), error: error)
            }
        }
        try batch.finish()
    }
}

/// One file's probe result as JSON: the ``AudioFileInfo`` fields at top level plus `file`, or
/// `file` and `error`.
struct ProbeDocument: FileDocument {
    var file: String
    var info: AudioFileInfo? = nil
    var error: ErrorDocument.Detail? = nil

    private enum CodingKeys: String, CodingKey { case file, error }

    func encode(to encoder: Encoder) throws {
        try info?.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// The human-readable probe report.
enum ProbeText {
    static func render(file: String, info: AudioFileInfo) -> String {
        var lines = [file]
        let depth = info.bitsPerSample.map { "\($0)-bit " } ?? ""
        lines.append("  format     \(info.format) / \(info.subtype) (\(depth)\(info.sampleKind.rawValue))")
        lines.append("  audio      \(info.sampleRate) Hz, \(info.channels) ch, \(info.frames) frames, \(formatDuration(info.durationS))")
        let layout = info.channelLayout.map(\.rawValue).joined(separator: " ")
        lines.append("  layout     \(layout)\(info.channelLayoutStated ? "" : " (default for \(info.channels) ch)")")
        lines.append("  size       \(info.fileBytes) bytes")
        let metadata = info.metadata
        for key in metadata.strings.keys.sorted() { lines.append("  \(key.padding(10)) \(metadata.strings[key]!)") }
        if let bext = metadata.broadcast {
            lines.append("  bext       \"\(bext.description)\" by \(bext.originator), \(bext.originationDate) \(bext.originationTime), time reference \(bext.timeReference)")
        }
        for cue in metadata.cueMarkers { lines.append("  cue        \(cue.frame) \(cue.label)") }
        for loop in metadata.loops { lines.append("  loop       \(loop.mode.rawValue) \(loop.startFrame)–\(loop.endFrame)") }
        for warning in info.warnings { lines.append("  warning    \(warning)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func formatDuration(_ seconds: Double) -> String {
        let whole = Int(seconds)
        let millis = Int(((seconds - Double(whole)) * 1000).rounded())
        let minutes = whole / 60
        let rest = whole % 60
        return "\(minutes):\(rest < 10 ? "0" : "")\(rest).\(String(millis).leftPadded(3))"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
