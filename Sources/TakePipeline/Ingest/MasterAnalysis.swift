import AudioCodecs
import AudioDSP

/// The analysis of a take's decoded blocks as they go by: loudness, peaks, quality flags and the
/// waveform `.dat`, streamed to its file so memory does not grow with the take. Fed by ingest's
/// one decode pass (``MasterPass``) and, in reprocess, by the preview's first read of the master.
final class MasterAnalysis {
    /// Waveform values are written out once this many are waiting (256 KiB of 16-bit values).
    static let waveformFlushValues = 131_072

    private var analyzer: TakeAnalyzer
    private let waveformFile: WaveformFileWriter

    init(info: AudioFileInfo, waveformPath: String, settings: PipelineSettings) throws {
        let options = settings.waveform
        analyzer = TakeAnalyzer(
            sampleRate: info.sampleRate, layout: info.channelLayout,
            waveform: WaveformBuilder(sampleRate: info.sampleRate, channels: info.channels, samplesPerPixel: options.samplesPerPixel, bits: options.bits))
        waveformFile = try WaveformFileWriter(path: waveformPath, layout: .binary, sampleRate: info.sampleRate,
                                              samplesPerPixel: options.samplesPerPixel, bits: options.bits.rawValue, channels: 1)
    }

    func consume(_ block: DecodedBlock) throws {
        analyzer.process(block.floatChannels, frames: block.frames)
        if analyzer.pendingWaveformValues >= Self.waveformFlushValues { try waveformFile.append(analyzer.drainWaveform()) }
    }

    /// Completes the waveform file and returns the report.
    func finish() throws -> AnalysisReport {
        try waveformFile.append(analyzer.drainWaveform())
        let result = analyzer.result()
        try waveformFile.finish(tail: result.waveform?.data ?? [])
        return result.report
    }
}
