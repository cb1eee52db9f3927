import ArgumentParser
import AudioCodecs

/// `takevault transcode FILE --to flac|opus -o OUT`: one artefact from one upload.
struct TranscodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Write a FLAC master or an Opus preview from an audio file.",
        discussion: """
            FLAC masters hold integer PCM sample-exactly (verify on, MD5 in STREAMINFO); float and lossy \
            uploads are refused with master_needs_integer_pcm, because their original file is the master. \
            Opus previews are 48 kHz, mono or stereo (more channels are folded to stereo). OUT appears only \
            when the encode succeeded.
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

    @Option(help: "Opus output gain stored in the header, in dB.")
    var opusHeaderGain = 0.0

    @Option(help: "R128_TRACK_GAIN tag for the preview, in dB relative to −23 LUFS.")
    var r128TrackGain: Double?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        do {
            let summary = try Transcoder.transcode(
                file, to: to, outputPath: output,
                flac: FLACSettings(compressionLevel: flacLevel),
                opus: OpusPreviewSettings(
                    bitrate: opusBitrate, complexity: opusComplexity, headerGainDB: opusHeaderGain, r128TrackGainDB: r128TrackGain))
            let document = TranscodeDocument(file: file, output: output, summary: summary)
            if json {
                try JSONOutput.print(document)
            } else {
                FileDescriptorOutput.standardOutput.write(document.text + "\n")
            }
        } catch {
            throw report(error, json: json)
        }
    }
}

extension TranscodeTarget: ExpressibleByArgument {}

/// The transcode result as JSON: `file`, `output`, `codec` and the codec's summary under its name.
struct TranscodeDocument: Encodable {
    var file: String
    var output: String
    var codec: String
    var flac: FLACMasterSummary?
    var opus: OpusPreviewSummary?

    init(file: String, output: String, summary: TranscodeSummary) {
        self.file = file
        self.output = output
        switch summary {
        case .flac(let flac): codec = "flac"; self.flac = flac
        case .opus(let opus): codec = "opus"; self.opus = opus
        }
    }

    var text: String {
        if let flac {
            return "\(output): FLAC master, \(flac.frames) frames, \(flac.bitsPerSample)-bit, \(flac.bytes) bytes, md5 \(flac.md5)"
        }
        if let opus {
            let fold = opus.downmixed ? ", downmixed to stereo" : ""
            return "\(output): Opus preview, \(opus.channels) ch\(fold), \(opus.settings.bitrate / 1000) kbps, \(opus.bytes) bytes"
        }
        return output
    }
}
