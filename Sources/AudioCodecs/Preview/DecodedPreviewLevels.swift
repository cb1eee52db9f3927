import AudioDSP

/// What the preview chain checks on the decoded preview before it may commit: integrated loudness
/// and true peak (BS.1770-4), nothing else — the quality flags and waveform of a full analysis say
/// nothing about whether the preview keeps its promise.
public struct DecodedPreviewLevels: Sendable, Equatable {
    /// Integrated loudness, LUFS (`nil` for silence).
    public var integratedLUFS: Double?
    /// Highest true peak over the channels, dBTP (`nil` for digital silence).
    public var truePeakDBTP: Double?
    /// Frames decoded, after pre-skip and end trimming.
    public var frames: Int64

    /// Decodes the Ogg Opus file at `path` (``OggOpusReader``) and measures it.
    public static func measure(path: String) throws -> DecodedPreviewLevels {
        let reader = try OggOpusReader(path: path)
        var loudness = LoudnessMeter(sampleRate: reader.sampleRate, layout: reader.layout)
        var peaks = PeakMeter(channels: reader.channels)
        while case let frames = try reader.read(), frames > 0 {
            loudness.process(reader.channelPointers, frames: frames)
            peaks.process(reader.channelPointers, frames: frames)
        }
        return DecodedPreviewLevels(
            integratedLUFS: loudness.result().integratedLUFS,
            truePeakDBTP: Decibels.fromLinear(peaks.truePeak.max() ?? 0),
            frames: reader.framesDelivered)
    }
}
