/// Every analysis of a take in one pass: loudness (BS.1770 / R128), sample and true peak, quality
/// flags and, optionally, waveform data. Each stage consumes the same planar blocks as the decoder
/// delivers them; ``process(_:frames:)`` allocates nothing.
public struct TakeAnalyzer: Sendable {
    public let sampleRate: Int
    public let layout: [ChannelRole]
    private var loudness: LoudnessMeter
    private var peaks: PeakMeter
    private var quality: SignalQualityMeter
    private var waveform: WaveformBuilder?
    private var frames: Int64 = 0

    /// - Parameter waveform: a configured builder, or `nil` to skip waveform data.
    public init(sampleRate: Int, layout: [ChannelRole], quality: SignalQualityMeter.Settings = .init(), waveform: WaveformBuilder? = nil) {
        self.sampleRate = sampleRate
        self.layout = layout
        loudness = LoudnessMeter(sampleRate: sampleRate, layout: layout)
        peaks = PeakMeter(channels: layout.count)
        self.quality = SignalQualityMeter(channels: layout.count, settings: quality)
        self.waveform = waveform
    }

    public mutating func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames count: Int) {
        loudness.process(input, frames: count)
        peaks.process(input, frames: count)
        quality.process(input, frames: count)
        waveform?.process(input, frames: count)
        frames += Int64(count)
    }

    /// Waveform values waiting to be drained (0 without a waveform).
    public var pendingWaveformValues: Int { waveform?.pendingValues ?? 0 }

    /// Hands over the waveform's complete pixels so far (see ``WaveformBuilder/drainPairs()``).
    public mutating func drainWaveform() -> [Int16] { waveform?.drainPairs() ?? [] }

    /// The report, and the waveform data if it was asked for.
    public func result() -> (report: AnalysisReport, waveform: WaveformData?) {
        let level = loudness.result()
        let signal = quality.result()
        let samplePeaks = peaks.samplePeak, truePeaks = peaks.truePeak
        let details = layout.indices.map { channel in
            AnalysisReport.ChannelDetail(
                role: layout[channel],
                samplePeakDBFS: Decibels.fromLinear(samplePeaks[channel]),
                truePeakDBTP: Decibels.fromLinear(truePeaks[channel]),
                dcOffset: signal.channels[channel].dcOffset,
                clippedSamples: signal.channels[channel].clippedSamples,
                clippedRuns: signal.channels[channel].clippedRuns,
                longestClippedRun: signal.channels[channel].longestClippedRun,
                digitalSilence: signal.channels[channel].digitalSilence,
                silent: signal.channels[channel].silent)
        }
        let report = AnalysisReport(
            durationS: Double(frames) / Double(sampleRate),
            sampleRate: sampleRate,
            channels: layout.count,
            integratedLufs: level.integratedLUFS,
            loudnessRangeLu: level.loudnessRangeLU,
            momentaryMaxLufs: level.momentaryMaxLUFS,
            shortTermMaxLufs: level.shortTermMaxLUFS,
            samplePeakDbfs: Decibels.fromLinear(samplePeaks.max() ?? 0),
            truePeakDbtp: Decibels.fromLinear(truePeaks.max() ?? 0),
            stereoCorrelation: signal.stereoCorrelation,
            cueInS: signal.cueInFrame.map { Double($0) / Double(sampleRate) },
            cueOutS: signal.cueOutFrame.map { Double($0) / Double(sampleRate) },
            channelsDetail: details,
            flags: signal.flags)
        return (report, waveform?.result())
    }
}

/// A take's analysis, with the field names of the `analyze` JSON contract.
///
/// Levels that do not exist (the loudness of silence, the peak of digital silence) are `nil`, which
/// JSON shows as `null`, never as −∞.
public struct AnalysisReport: Sendable, Equatable, Codable {
    public struct ChannelDetail: Sendable, Equatable, Codable {
        public var role: ChannelRole
        public var samplePeakDBFS: Double?
        public var truePeakDBTP: Double?
        public var dcOffset: Double
        public var clippedSamples: Int
        public var clippedRuns: Int
        public var longestClippedRun: Int
        public var digitalSilence: Bool
        public var silent: Bool

        private enum CodingKeys: String, CodingKey {
            case role, samplePeakDBFS = "sample_peak_dbfs", truePeakDBTP = "true_peak_dbtp", dcOffset = "dc_offset"
            case clippedSamples = "clipped_samples", clippedRuns = "clipped_runs", longestClippedRun = "longest_clipped_run"
            case digitalSilence = "digital_silence", silent
        }
    }

    public var durationS: Double
    public var sampleRate: Int
    public var channels: Int
    public var integratedLufs: Double?
    public var loudnessRangeLu: Double
    public var momentaryMaxLufs: Double?
    public var shortTermMaxLufs: Double?
    /// Maxima over the channels.
    public var samplePeakDbfs: Double?
    public var truePeakDbtp: Double?
    /// Stereo only.
    public var stereoCorrelation: Double?
    /// Where audio above the silence level starts and ends, in seconds.
    public var cueInS: Double?
    public var cueOutS: Double?
    public var channelsDetail: [ChannelDetail]
    public var flags: [String]

    private enum CodingKeys: String, CodingKey {
        case durationS = "duration_s", sampleRate = "sample_rate", channels
        case integratedLufs = "integrated_lufs", loudnessRangeLu = "loudness_range_lu"
        case momentaryMaxLufs = "momentary_max_lufs", shortTermMaxLufs = "short_term_max_lufs"
        case samplePeakDbfs = "sample_peak_dbfs", truePeakDbtp = "true_peak_dbtp"
        case stereoCorrelation = "stereo_correlation", cueInS = "cue_in_s", cueOutS = "cue_out_s"
        case channelsDetail = "channels_detail", flags
    }

    /// Encodes absent levels as `null` so every key of the contract is always present.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(durationS, forKey: .durationS)
        try container.encode(sampleRate, forKey: .sampleRate)
        try container.encode(channels, forKey: .channels)
        try container.encode(integratedLufs, forKey: .integratedLufs)
        try container.encode(loudnessRangeLu, forKey: .loudnessRangeLu)
        try container.encode(momentaryMaxLufs, forKey: .momentaryMaxLufs)
        try container.encode(shortTermMaxLufs, forKey: .shortTermMaxLufs)
        try container.encode(samplePeakDbfs, forKey: .samplePeakDbfs)
        try container.encode(truePeakDbtp, forKey: .truePeakDbtp)
        try container.encode(stereoCorrelation, forKey: .stereoCorrelation)
        try container.encode(cueInS, forKey: .cueInS)
        try container.encode(cueOutS, forKey: .cueOutS)
        try container.encode(channelsDetail, forKey: .channelsDetail)
        try container.encode(flags, forKey: .flags)
    }
}

/// Linear ⇄ decibel conversions.
public enum Decibels {
    /// 20 log₁₀ |x|, or `nil` for 0 (no level).
    public static func fromLinear(_ value: Float) -> Double? {
        value > 0 ? 20 * log10(Double(value)) : nil
    }

    public static func toLinear(_ decibels: Double) -> Double { pow(10, decibels / 20) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
