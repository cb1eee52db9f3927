import AudioDSP

/// How a preview is levelled and encoded.
public struct PreviewSettings: Sendable, Equatable, Codable {
    /// Integrated loudness the preview is brought to, LUFS. −16 suits listening on phones and
    /// laptops (e.g. −14 for streaming parity, −23 for broadcast).
    public var targetLUFS: Double
    /// Highest true peak allowed in the decoded preview, dBTP.
    public var ceilingDBTP: Double
    /// `false` encodes the take at its own level (no gain, no limiter).
    public var normalize: Bool
    public var opus: OpusPreviewSettings

    public init(targetLUFS: Double = -16, ceilingDBTP: Double = -1, normalize: Bool = true, opus: OpusPreviewSettings = OpusPreviewSettings()) {
        self.targetLUFS = targetLUFS
        self.ceilingDBTP = ceilingDBTP
        self.normalize = normalize
        self.opus = opus
    }

    public func validate() throws {
        guard (-70.0 ... -5.0).contains(targetLUFS) else {
            throw CodecFailure.invalidSetting(name: "target loudness", value: "\(targetLUFS) LUFS", allowed: "−70 … −5 LUFS")
        }
        guard (-20.0 ... 0.0).contains(ceilingDBTP) else {
            throw CodecFailure.invalidSetting(name: "true-peak ceiling", value: "\(ceilingDBTP) dBTP", allowed: "−20 … 0 dBTP")
        }
        try opus.validate()
    }
}

/// What the preview chain did, and what the decoded preview measures.
public struct PreviewReport: Sendable, Equatable, Codable {
    /// Gain applied to the take, dB.
    public var gainDB: Double
    /// Whether the limiter had to act (the gain would otherwise have broken the ceiling).
    public var limiterEngaged: Bool
    /// Its largest gain reduction, dB (0 when not engaged).
    public var limiterMaxReductionDB: Double
    /// Integrated loudness of the decoded preview, LUFS (`nil` for silence).
    public var integratedLUFS: Double?
    /// True peak of the decoded preview, dBTP (`nil` for silence).
    public var truePeakDBTP: Double?
    /// Renders it took: Opus adds its own overshoot, measured and taken off on a retry.
    public var attempts: Int
    public var opus: OpusPreviewSummary

    private enum CodingKeys: String, CodingKey {
        case gainDB = "gain_db", limiterEngaged = "limiter_engaged", limiterMaxReductionDB = "limiter_max_reduction_db"
        case integratedLUFS = "integrated_lufs", truePeakDBTP = "true_peak_dbtp", attempts, opus
    }
}
