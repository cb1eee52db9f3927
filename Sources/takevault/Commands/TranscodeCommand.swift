import ArgumentParser
import AudioCodecs

/// `takevault transcode FILE --to flac|opus -o OUT`: one artefact from one upload.
struct TranscodeCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Write a FLAC master or an Opus preview from an audio file.",
        discussion: """
            FLAC masters hold integer PCM sample-exactly (verify on, MD5 in STREAMINFO); float and lossy \
            uploads are refused with master_needs_integer_pcm, because their original file is the master. \
            Opus previews are 48 kHz, mono or stereo (more channels are folded to stereo), brought to the \
            target loudness by one linear gain, with a true-peak limiter only where that gain would break \
            the ceiling; the decoded preview is measured and reported. OUT appears only when the encode \
            succeeded.
            """
    )

    @Argument(help: "The audio file to read.")
    var file: String

    @Option(help: "What to write: flac (lossless master) or opus (preview).")
    var to: TranscodeTarget

    @Option(name: .shortAndLong, help: "Where to write it.")
    var output: String

    @Option(help: "FLAC compression level, 0–8.")
    var flacLevel = FLACSettings().compressionLevel

    @Option(help: "Opus bitrate in bit/s.")
    var opusBitrate = OpusPreviewSettings().bitrate

    @Option(help: "Opus complexity, 0–10.")
    var opusComplexity = OpusPreviewSettings().complexity

    @Option(parsing: .unconditional, help: "Preview loudness target, LUFS (e.g. --target-lufs -14).")
    var targetLufs = PreviewSettings().targetLUFS

    @Option(parsing: .unconditional, help: "Preview true-peak ceiling, dBTP, measured on the decoded preview.")
    var ceilingDbtp = PreviewSettings().ceilingDBTP

    @Flag(help: "Encode the preview at the take's own level (no gain, no limiter).")
    var keepLevel = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func execute() async throws {
        let summary = try Transcoder.transcode(
            file, to: to, outputPath: output,
            flac: FLACSettings(compressionLevel: flacLevel),
            preview: PreviewSettings(
                targetLUFS: targetLufs, ceilingDBTP: ceilingDbtp, normalize: !keepLevel,
                opus: OpusPreviewSettings(bitrate: opusBitrate, complexity: opusComplexity)))
        let document = TranscodeDocument(file: file, output: output, summary: summary)
        if json {
            try JSONOutput.print(document)
        } else {
            FileDescriptorOutput.standardOutput.write(document.text + "\n")
        }
    }
}

extension TranscodeTarget: ExpressibleByArgument {}

/// The transcode result as JSON: `file`, `output`, `codec` and the codec's summary under its name
/// (`flac`, or `preview` with `gain_db`, `limiter_engaged`, `integrated_lufs`, `true_peak_dbtp`).
struct TranscodeDocument: Encodable {
    var file: String
    var output: String
    var codec: String
    var flac: FLACMasterSummary?
    var preview: PreviewReport?

    init(file: String, output: String, summary: TranscodeSummary) {
        self.file = file
        self.output = output
        switch summary {
        case .flac(let flac): codec = "flac"; self.flac = flac
        case .opus(let preview): codec = "opus"; self.preview = preview
        }
    }

    var text: String {
        if let flac {
            return "\(output): FLAC master, \(flac.frames) frames, \(flac.bitsPerSample)-bit, \(flac.bytes) bytes, md5 \(flac.md5)"
        }
        if let preview {
            let opus = preview.opus
            let fold = opus.downmixed ? ", downmixed to stereo" : ""
            let level = preview.integratedLUFS.map { String(format1: $0) + " LUFS" } ?? "silent"
            let peak = preview.truePeakDBTP.map { String(format1: $0) + " dBTP" } ?? "—"
            let limiter = preview.limiterEngaged ? ", limiter −\(String(format1: preview.limiterMaxReductionDB)) dB" : ""
            return "\(output): Opus preview, \(opus.channels) ch\(fold), \(opus.settings.bitrate / 1000) kbps, \(opus.bytes) bytes; "
                + "gain \(String(format1: preview.gainDB)) dB\(limiter); decoded \(level), \(peak)"
        }
        return output
    }
}
