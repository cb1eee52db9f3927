import AudioDSP

/// Options for analysing a file.
public struct AnalysisOptions: Sendable {
    public var quality = SignalQualityMeter.Settings()
    /// Waveform data to build alongside, or `nil` for none.
    public var waveform: WaveformOptions?

    public init(quality: SignalQualityMeter.Settings = .init(), waveform: WaveformOptions? = nil) {
        self.quality = quality
        self.waveform = waveform
    }
}

/// How waveform data is built (see ``WaveformBuilder``).
public struct WaveformOptions: Sendable {
    public var samplesPerPixel = 256
    public var bits: WaveformBuilder.Bits = .sixteen
    public var splitChannels = false

    public init(samplesPerPixel: Int = 256, bits: WaveformBuilder.Bits = .sixteen, splitChannels: Bool = false) {
        self.samplesPerPixel = samplesPerPixel
        self.bits = bits
        self.splitChannels = splitChannels
    }
}

/// Analyses a file in one streaming pass: decode → ``TakeAnalyzer``.
public enum FileAnalysis {
    /// Waveform values are handed to the file once this many are waiting (256 KiB of 16-bit values).
    public static let waveformFlushValues = 131_072

    /// Analyses `path`. With `waveformFile`, the waveform (``AnalysisOptions/waveform``) streams into
    /// the writer it makes for the file's facts — memory flat in the audio's length, which a small
    /// compressed file can make enormous — and the returned waveform is `nil`; without it, the
    /// waveform is returned whole.
    public static func analyze(path: String, options: AnalysisOptions = AnalysisOptions(),
                               waveformFile: ((AudioFileInfo) throws -> WaveformFileWriter)? = nil) throws
        -> (info: AudioFileInfo, report: AnalysisReport, waveform: WaveformData?)
    {
        let reader = try AudioFileReader(path: path)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        let waveform = options.waveform.map {
            WaveformBuilder(sampleRate: info.sampleRate, channels: info.channels, samplesPerPixel: $0.samplesPerPixel,
                            bits: $0.bits, splitChannels: $0.splitChannels, expectedFrames: info.frames)
        }
        var analyzer = TakeAnalyzer(sampleRate: info.sampleRate, layout: info.channelLayout, quality: options.quality, waveform: waveform)
        let file = waveform == nil ? nil : try waveformFile?(info)
        while try reader.read(into: block) > 0 {
            analyzer.process(block.floatChannels, frames: block.frames)
            if let file, analyzer.pendingWaveformValues >= waveformFlushValues { try file.append(analyzer.drainWaveform()) }
        }
        let result = analyzer.result()
        guard let file else { return (info, result.report, result.waveform) }
        try file.finish(tail: result.waveform?.data ?? [])
        return (info, result.report, nil)
    }
}
