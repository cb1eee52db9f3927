import ArgumentParser
import AudioCodecs
import AudioDSP
import TakevaultCore

/// `takevault analyze FILE… [--json]`: loudness, peaks and quality flags of each file.
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Measure loudness (EBU R128), sample and true peak, and quality flags of audio files.",
        discussion: """
            Integrated loudness, loudness range, maximum momentary and short-term loudness (ITU-R BS.1770-4 / EBU R128), \
            sample and true peak per channel, clipping, DC offset, silence and stereo correlation. Levels that do not \
            exist (the loudness of silence) are null in JSON.
            """
    )

    @Argument(help: "Audio files to analyse.")
    var files: [String]

    @Flag(help: "Print JSON (one object, or an array with one object per file).")
    var json = false

    @Option(parsing: .unconditional, help: "Silence level for cue-in/out and silent channels, in dBFS.")
    var silenceThreshold = -60.0

    @Option(help: "Write waveform data for the (single) file here: .dat (binary) or .json, audiowaveform's layout.")
    var waveform: String?

    @Option(help: "Waveform samples per pixel.")
    var waveformZoom = 256

    @Option(help: "Waveform bits: 8 or 16.")
    var waveformBits = 16

    @Flag(help: "Waveform data per channel instead of one mixed channel.")
    var waveformSplitChannels = false

    func validate() throws {
        if waveform != nil && files.count != 1 { throw ValidationError("--waveform needs exactly one file") }
        if let waveform, !waveform.hasSuffix(".dat") && !waveform.hasSuffix(".json") { throw ValidationError("--waveform must end in .dat or .json") }
        guard WaveformBuilder.Bits(rawValue: waveformBits) != nil else { throw ValidationError("--waveform-bits must be 8 or 16") }
        guard waveformZoom >= 2 else { throw ValidationError("--waveform-zoom must be at least 2") }
        guard silenceThreshold < 0 else { throw ValidationError("--silence-threshold must be below 0 dBFS") }
    }

    func run() async throws {
        var quality = SignalQualityMeter.Settings()
        quality.silenceLevel = Float(Decibels.toLinear(silenceThreshold))
        let waveformOptions = waveform.map { _ in
            WaveformOptions(samplesPerPixel: waveformZoom, bits: WaveformBuilder.Bits(rawValue: waveformBits)!, splitChannels: waveformSplitChannels)
        }
        let options = AnalysisOptions(quality: quality, waveform: waveformOptions)
        var batch = FileBatch<AnalyzeDocument>(json: json)
        for file in files {
            do {
                let analysis = try analyze(file, options: options)
                batch.succeeded(AnalyzeDocument(file: file, report: analysis.report), text: AnalyzeText.render(file: file, report: analysis.report))
            } catch {
                batch.failed(AnalyzeDocument(file: file), error: error)
            }
        }
        try batch.finish()
    }

    /// Analyses one file; with `--waveform`, the waveform streams into a temporary file beside the
    /// output that replaces it only once complete.
    private func analyze(_ file: String, options: AnalysisOptions) throws -> (info: AudioFileInfo, report: AnalysisReport, waveform: WaveformData?) {
        guard let path = waveform, let waveformOptions = options.waveform else { return try FileAnalysis.analyze(path: file, options: options) }
        let output = try AtomicOutput(finalPath: path)
        do {
            let analysis = try FileAnalysis.analyze(path: file, options: options) { info in
                try WaveformFileWriter(path: output.temporaryPath, layout: path.hasSuffix(".json") ? .json : .binary, sampleRate: info.sampleRate,
                                       samplesPerPixel: waveformOptions.samplesPerPixel, bits: waveformOptions.bits.rawValue,
                                       channels: waveformOptions.splitChannels ? info.channels : 1, mode: 0o644)
            }
            try output.commit()
            return analysis
        } catch {
            output.discard()
            throw error
        }
    }
}

/// One file's analysis as JSON: the report's keys at top level plus `file` (or `file` and `error`).
struct AnalyzeDocument: FileDocument {
    var file: String
    var report: AnalysisReport? = nil
    var error: ErrorDocument.Detail? = nil

    private enum CodingKeys: String, CodingKey { case file, error }

    func encode(to encoder: Encoder) throws {
        try report?.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// The human-readable analysis.
enum AnalyzeText {
    static func level(_ value: Double?, _ unit: String) -> String {
        guard let value else { return "—" }
        return (value >= 0 ? "+" : "") + String(format1: value) + " " + unit
    }

    static func render(file: String, report: AnalysisReport) -> String {
        var lines = [file]
        lines.append("  integrated     \(level(report.integratedLufs, "LUFS"))    range \(String(format1: report.loudnessRangeLu)) LU")
        lines.append("  momentary max  \(level(report.momentaryMaxLufs, "LUFS"))    short-term max \(level(report.shortTermMaxLufs, "LUFS"))")
        lines.append("  peak           \(level(report.samplePeakDbfs, "dBFS"))    true peak \(level(report.truePeakDbtp, "dBTP"))")
        for (index, channel) in report.channelsDetail.enumerated() {
            lines.append("  ch \(index + 1) \(channel.role.rawValue.padding(12)) peak \(level(channel.samplePeakDBFS, "dBFS")), true peak \(level(channel.truePeakDBTP, "dBTP")), clipped runs \(channel.clippedRuns)")
        }
        if let correlation = report.stereoCorrelation { lines.append("  correlation    \(String(format2: correlation))") }
        if let cueIn = report.cueInS, let cueOut = report.cueOutS {
            lines.append("  audio          \(String(format2: cueIn)) s … \(String(format2: cueOut)) s of \(String(format2: report.durationS)) s")
        }
        lines.append("  flags          \(report.flags.isEmpty ? "none" : report.flags.joined(separator: ", "))")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    init(format1 value: Double) { self = Self.fixed(value, digits: 1) }
    init(format2 value: Double) { self = Self.fixed(value, digits: 2) }

    static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded() / scale
        let whole = Int(rounded)
        let fraction = Int(((rounded - Double(whole)) * scale).rounded())
        let sign = value < 0 && rounded != 0 ? "-" : ""
        return "\(sign)\(whole).\(String(fraction).leftPadded(digits))"
    }
}
