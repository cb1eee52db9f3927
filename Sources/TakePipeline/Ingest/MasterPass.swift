import AudioCodecs
import AudioDSP

/// The one decode pass of ingest: every block feeds the analysis (loudness, peaks, flags,
/// waveform) and, for integer PCM, the FLAC master.
struct MasterPass {
    struct Result {
        var info: AudioFileInfo
        var report: AnalysisReport
        /// `nil` when the upload is float or lossy: its original file is the master.
        var flac: FLACMasterSummary?
    }

    /// Waveform values are written out once this many are waiting (256 KiB of 16-bit values).
    static let waveformFlushValues = 131_072

    /// Decodes `upload` once: analysis, the FLAC master at `masterPath` (none when `nil`: reprocess
    /// reads an existing master) and the waveform `.dat` at `waveformPath`, streamed so memory does
    /// not grow with the take.
    static func run(
        upload: String, masterPath: String?, waveformPath: String, settings: PipelineSettings, progress: (Double) -> Void
    ) throws -> Result {
        let reader = try AudioFileReader(path: upload)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        let waveformOptions = settings.waveform
        var analyzer = TakeAnalyzer(
            sampleRate: info.sampleRate, layout: info.channelLayout,
            waveform: WaveformBuilder(sampleRate: info.sampleRate, channels: info.channels, samplesPerPixel: waveformOptions.samplesPerPixel,
                                      bits: waveformOptions.bits))
        let waveformFile = try WaveformFileWriter(path: waveformPath, sampleRate: info.sampleRate, samplesPerPixel: waveformOptions.samplesPerPixel,
                                                  bits: waveformOptions.bits.rawValue, channels: 1)
        let encoder = try masterPath.flatMap { masterPath in reader.integerBits.map { (masterPath, $0) } }.map { masterPath, bits in
            try FLACMasterEncoder(
                path: masterPath, sampleRate: info.sampleRate, channels: info.channels, bitsPerSample: bits,
                expectedFrames: info.frames, metadata: info.metadata,
                extraComments: [("SOURCE_FORMAT", "\(info.format)/\(info.subtype)")], settings: settings.flac)
        }
        do {
            while try reader.read(into: block) > 0 {
                analyzer.process(block.floatChannels, frames: block.frames)
                try encoder?.write(block)
                if analyzer.pendingWaveformValues >= waveformFlushValues { try waveformFile.append(analyzer.drainWaveform()) }
                progress(Double(reader.framesDecoded) / Double(max(info.frames, 1)))
            }
            let summary = try encoder?.finish()
            try waveformFile.append(analyzer.drainWaveform())
            let result = analyzer.result()
            try waveformFile.finish(tail: result.waveform?.data ?? [])
            return Result(info: info, report: result.report, flac: summary)
        } catch {
            encoder?.abandon()
            throw error
        }
    }
}
