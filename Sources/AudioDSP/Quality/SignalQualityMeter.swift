/// The quality flags a collaborator needs before listening: clipping (flat tops at full scale),
/// samples over full scale (float takes), DC offset, silence (whole take,
/// per channel, and where the audio starts and ends) and, for stereo, the correlation between the
/// two sides (polarity).
///
/// One pass over planar blocks; per channel a handful of accumulators, so memory is constant and
/// ``process(_:frames:)`` allocates nothing. Most work is SIMD: a block whose peak is below the
/// clip level skips the run scan entirely.
public struct SignalQualityMeter: Sendable {
    /// Thresholds, all in linear full scale.
    public struct Settings: Sendable, Equatable, Codable {
        /// Samples at or above this magnitude can be clipped: 0.9999 is −0.0009 dBFS, so the largest
        /// 16-bit code (32767/32768, −0.0003 dBFS) is caught.
        public var clipLevel: Float = 0.999_9
        /// A clipped run is at least this many consecutive samples at the same magnitude at or above
        /// the clip level: a flat top. A single full-scale sample is a peak, and a float take
        /// swinging smoothly over full scale is reported as `over_full_scale`, not as clipped.
        public var minimumClipRun = 3
        /// Below this magnitude audio counts as silence for cue-in/out and dead channels: −60 dBFS.
        public var silenceLevel: Float = 0.001
        /// |mean| above this is a DC offset worth flagging: −50 dBFS (a musical take's mean over
        /// seconds is far below it; a misbehaving converter's offset is above).
        public var dcOffsetLevel: Double = 0.003_16
        /// Stereo correlation at or below this means one side is (mostly) polarity-inverted.
        public var inversePolarityCorrelation: Double = -0.5

        public init() {}
    }

    public let settings: Settings
    public let channels: Int
    private var sums: [Double]
    private var peaks: [Float]
    private var clippedSamples: [Int]
    private var clippedRuns: [Int]
    private var longestRuns: [Int]
    private var currentRuns: [Int]
    private var runMagnitudes: [Float]
    private var nonZero: [Bool]
    private var firstLoudFrame: Int64?
    private var lastLoudFrame: Int64?
    private var frames: Int64 = 0
    private var productLR = 0.0, energyL = 0.0, energyR = 0.0

    public init(channels: Int, settings: Settings = Settings()) {
        self.channels = channels
        self.settings = settings
        sums = [Double](repeating: 0, count: channels)
        peaks = [Float](repeating: 0, count: channels)
        clippedSamples = [Int](repeating: 0, count: channels)
        clippedRuns = [Int](repeating: 0, count: channels)
        longestRuns = [Int](repeating: 0, count: channels)
        currentRuns = [Int](repeating: 0, count: channels)
        runMagnitudes = [Float](repeating: 0, count: channels)
        nonZero = [Bool](repeating: false, count: channels)
    }

    public mutating func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames count: Int) {
        precondition(input.count == channels, "channel count mismatch")
        guard count > 0 else { return }
        var blockFirstLoud = Int.max, blockLastLoud = -1
        for channel in 0..<channels {
            let x = input[channel]
            let (sum, peak) = Self.sumAndPeak(x, count: count)
            sums[channel] += sum
            peaks[channel] = max(peaks[channel], peak)
            if peak > 0 { nonZero[channel] = true }
            if peak >= settings.clipLevel {
                scanClipping(channel: channel, x, count: count)
            } else {
                endRun(channel)
            }
            if peak > settings.silenceLevel {
                if firstLoudFrame == nil, let first = (0..<count).first(where: { abs(x[$0]) > settings.silenceLevel }) {
                    blockFirstLoud = min(blockFirstLoud, first)
                }
                if let last = (0..<count).reversed().first(where: { abs(x[$0]) > settings.silenceLevel }) {
                    blockLastLoud = max(blockLastLoud, last)
                }
            }
        }
        if blockFirstLoud != .max { firstLoudFrame = frames + Int64(blockFirstLoud) }
        if blockLastLoud >= 0 { lastLoudFrame = frames + Int64(blockLastLoud) }
        if channels == 2 {
            let (lr, ll, rr) = Self.products(input[0], input[1], count: count)
            productLR += lr
            energyL += ll
            energyR += rr
        }
        frames += Int64(count)
    }

    private mutating func scanClipping(channel: Int, _ x: UnsafePointer<Float>, count: Int) {
        var run = currentRuns[channel]
        var level = runMagnitudes[channel]
        for index in 0..<count {
            let magnitude = abs(x[index])
            if magnitude >= settings.clipLevel {
                clippedSamples[channel] += 1
                if run > 0 && magnitude == level {
                    run += 1
                } else {
                    if run > 0 { closeRun(channel, length: run) }
                    run = 1
                    level = magnitude
                }
            } else if run > 0 {
                closeRun(channel, length: run)
                run = 0
            }
        }
        currentRuns[channel] = run
        runMagnitudes[channel] = level
    }

    private mutating func endRun(_ channel: Int) {
        if currentRuns[channel] > 0 { closeRun(channel, length: currentRuns[channel]) }
        currentRuns[channel] = 0
    }

    private mutating func closeRun(_ channel: Int, length: Int) {
        if length >= settings.minimumClipRun { clippedRuns[channel] += 1 }
        longestRuns[channel] = max(longestRuns[channel], length)
    }

    /// The report so far (runs still open at the end count as closed).
    public func result() -> SignalQuality {
        var closing = self
        for channel in 0..<channels { closing.endRun(channel) }
        let perChannel = (0..<channels).map { channel in
            SignalQuality.Channel(
                dcOffset: frames > 0 ? closing.sums[channel] / Double(frames) : 0,
                clippedSamples: closing.clippedSamples[channel],
                clippedRuns: closing.clippedRuns[channel],
                longestClippedRun: closing.longestRuns[channel],
                digitalSilence: !closing.nonZero[channel],
                silent: closing.peaks[channel] <= settings.silenceLevel)
        }
        let correlation: Double? = channels == 2 && energyL > 0 && energyR > 0 ? productLR / (energyL * energyR).squareRoot() : nil
        var flags: [String] = []
        if perChannel.contains(where: { $0.clippedRuns > 0 }) { flags.append("clipped") }
        if closing.peaks.contains(where: { $0 > 1 }) { flags.append("over_full_scale") }
        if perChannel.contains(where: { abs($0.dcOffset) > settings.dcOffsetLevel }) { flags.append("dc_offset") }
        if perChannel.allSatisfy(\.digitalSilence) {
            flags.append("digital_silence")
        } else if perChannel.allSatisfy(\.silent) {
            flags.append("near_silence")
        } else if perChannel.contains(where: \.silent) {
            flags.append("silent_channel")
        }
        if let correlation, correlation <= settings.inversePolarityCorrelation { flags.append("inverse_polarity") }
        return SignalQuality(
            channels: perChannel, stereoCorrelation: correlation,
            cueInFrame: firstLoudFrame, cueOutFrame: lastLoudFrame.map { $0 + 1 }, flags: flags)
    }

    static func sumAndPeak(_ x: UnsafePointer<Float>, count: Int) -> (Double, Float) {
        var sum = SIMD8<Float>(), peak = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            sum += v
            peak = lanewiseMax(peak, magnitude(v))
            index &+= 8
        }
        var total = Double(sum.sum()), maximum = peak.max()
        while index < count {
            total += Double(x[index])
            maximum = max(maximum, abs(x[index]))
            index &+= 1
        }
        return (total, maximum)
    }

    static func products(_ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, count: Int) -> (Double, Double, Double) {
        var lr = SIMD8<Float>(), ll = SIMD8<Float>(), rr = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let l = UnsafeRawPointer(left + index).loadUnaligned(as: SIMD8<Float>.self)
            let r = UnsafeRawPointer(right + index).loadUnaligned(as: SIMD8<Float>.self)
            lr.addProduct(l, r); ll.addProduct(l, l); rr.addProduct(r, r)
            index &+= 8
        }
        var (sumLR, sumLL, sumRR) = (Double(lr.sum()), Double(ll.sum()), Double(rr.sum()))
        while index < count {
            let l = Double(left[index]), r = Double(right[index])
            sumLR += l * r; sumLL += l * l; sumRR += r * r
            index &+= 1
        }
        return (sumLR, sumLL, sumRR)
    }
}

/// What ``SignalQualityMeter`` found.
public struct SignalQuality: Sendable, Equatable, Codable {
    public struct Channel: Sendable, Equatable, Codable {
        /// Mean sample value (full scale ±1).
        public var dcOffset: Double
        /// Samples at or above the clip level.
        public var clippedSamples: Int
        /// Flat-topped runs of at least ``SignalQualityMeter/Settings/minimumClipRun`` samples.
        public var clippedRuns: Int
        public var longestClippedRun: Int
        /// Every sample is exactly zero.
        public var digitalSilence: Bool
        /// Every sample is below the silence level.
        public var silent: Bool
    }

    public var channels: [Channel]
    /// Pearson correlation of left and right over the take (stereo only): +1 identical, 0
    /// unrelated, −1 one side inverted.
    public var stereoCorrelation: Double?
    /// First frame above the silence level (where the take starts), `nil` if none.
    public var cueInFrame: Int64?
    /// One past the last frame above the silence level (where it ends), `nil` if none.
    public var cueOutFrame: Int64?
    /// `clipped`, `over_full_scale`, `dc_offset`, `digital_silence`, `near_silence`,
    /// `silent_channel`, `inverse_polarity`.
    public var flags: [String]
}
