/// Sample peak and true peak (ITU-R BS.1770-4 Annex 2) per channel.
///
/// Each channel is interpolated 4× by ``TruePeakFilter`` at every sample rate: the Annex asks for
/// 4× below 96 kHz and less above, but the conformance signals are defined relative to the rate
/// (e.g. fs/4 at 45°), so 4× everywhere keeps the same accuracy at 96 and 192 kHz. SIMD: eight
/// outputs at a time, twelve unaligned loads shared by 4 × 12 multiply-adds. The reported true peak
/// is never below the sample peak.
///
/// State is the last 11 input samples per channel. ``process(_:frames:)`` reads the caller's
/// buffers in place and allocates nothing (the first 11 outputs of a block, which straddle the
/// previous block, use a small stack buffer).
public struct PeakMeter: Sendable {
    public let channels: Int
    static let history = TruePeakFilter.tapsPerPhase - 1

    private var histories: [Float]
    private var samplePeaks: [Float]
    private var interpolatedPeaks: [Float]
    /// taps[k] = (phase0[k], phase1[k], phase2[k], phase3[k]): one vector per tap, all four phases.
    private let taps: [SIMD4<Float>]
    /// broadcast[4k + p] = phase p's tap k in all eight lanes, for the SIMD8 kernel.
    private let broadcast: [SIMD8<Float>]

    public init(channels: Int) {
        self.channels = channels
        histories = [Float](repeating: 0, count: channels * Self.history)
        samplePeaks = [Float](repeating: 0, count: channels)
        interpolatedPeaks = [Float](repeating: 0, count: channels)
        let phases = TruePeakFilter.phases
        taps = (0..<TruePeakFilter.tapsPerPhase).map { k in SIMD4(phases[0][k], phases[1][k], phases[2][k], phases[3][k]) }
        broadcast = (0..<TruePeakFilter.tapsPerPhase).flatMap { k in (0..<4).map { p in SIMD8(repeating: phases[p][k]) } }
    }

    /// Adds `frames` frames of planar audio.
    public mutating func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int) {
        precondition(input.count == channels, "channel count mismatch")
        guard frames > 0 else { return }
        let broadcast = self.broadcast
        taps.withUnsafeBufferPointer { taps in broadcast.withUnsafeBufferPointer { broadcast in
            for channel in 0..<channels {
                let source = input[channel]
                samplePeaks[channel] = max(samplePeaks[channel], Self.absoluteMaximum(source, count: frames))
                let peak = histories.withUnsafeMutableBufferPointer { all in
                    let history = all.baseAddress! + channel * Self.history
                    let edge = Self.edgeMaximum(taps, history: history, source: source, count: frames)
                    let body = Self.interiorMaximum(broadcast.baseAddress!, taps, source, count: frames)
                    Self.keepHistory(history, source: source, count: frames)
                    return max(edge, body)
                }
                interpolatedPeaks[channel] = max(interpolatedPeaks[channel], peak)
            }
        } }
    }

    /// Highest |sample| per channel, linear (1.0 = full scale).
    public var samplePeak: [Float] { samplePeaks }

    /// Highest interpolated |sample| per channel (never below the sample peak), linear.
    public var truePeak: [Float] { zip(samplePeaks, interpolatedPeaks).map { max($0, $1) } }

    /// Outputs n = 0 … 10, which reach back into the previous block: from a stack copy of
    /// history + the first inputs.
    private static func edgeMaximum(
        _ taps: UnsafeBufferPointer<SIMD4<Float>>, history: UnsafeMutablePointer<Float>, source: UnsafePointer<Float>, count: Int
    ) -> Float {
        let edge = min(count, Self.history)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * Self.history) { line in
            let base = line.baseAddress!
            base.update(from: history, count: Self.history)
            (base + Self.history).update(from: source, count: edge)
            var peak: Float = 0
            for n in 0..<edge {
                var y = SIMD4<Float>()
                for k in 0..<TruePeakFilter.tapsPerPhase { y.addProduct(taps[k], base[Self.history + n - k]) }
                peak = max(peak, magnitude(y).max())
            }
            return peak
        }
    }

    /// Outputs n = 11 … count − 1, read straight from the block, eight at a time: twelve unaligned
    /// loads, each feeding the four phases' multiply-adds with pre-broadcast taps.
    private static func interiorMaximum(
        _ broadcast: UnsafePointer<SIMD8<Float>>, _ taps: UnsafeBufferPointer<SIMD4<Float>>, _ x: UnsafePointer<Float>, count: Int
    ) -> Float {
        let history = 11
        guard count > history else { return 0 }
        var peak = SIMD8<Float>()
        var n = history
        while n + 8 <= count {
            var y0 = SIMD8<Float>(), y1 = SIMD8<Float>(), y2 = SIMD8<Float>(), y3 = SIMD8<Float>()
            var tap = broadcast
            var source = UnsafeRawPointer(x + n)
            for _ in 0..<12 {
                let v = source.loadUnaligned(as: SIMD8<Float>.self)
                y0.addProduct(v, tap[0]); y1.addProduct(v, tap[1]); y2.addProduct(v, tap[2]); y3.addProduct(v, tap[3])
                tap += 4
                source -= MemoryLayout<Float>.stride
            }
            peak = lanewiseMax(peak, lanewiseMax(lanewiseMax(magnitude(y0), magnitude(y1)), lanewiseMax(magnitude(y2), magnitude(y3))))
            n &+= 8
        }
        var result = peak.max()
        while n < count {
            var y = SIMD4<Float>()
            for k in 0..<12 { y.addProduct(taps[k], x[n - k]) }
            result = max(result, magnitude(y).max())
            n &+= 1
        }
        return result
    }

    /// history ← the last 11 samples of (history ++ block).
    private static func keepHistory(_ history: UnsafeMutablePointer<Float>, source: UnsafePointer<Float>, count: Int) {
        if count >= Self.history {
            history.update(from: source + count - Self.history, count: Self.history)
        } else {
            history.update(from: history + count, count: Self.history - count)
            (history + Self.history - count).update(from: source, count: count)
        }
    }

    static func absoluteMaximum(_ source: UnsafePointer<Float>, count: Int) -> Float {
        var peak = SIMD16<Float>()
        var index = 0
        while index + 16 <= count {
            peak = lanewiseMax(peak, magnitude(UnsafeRawPointer(source + index).loadUnaligned(as: SIMD16<Float>.self)))
            index &+= 16
        }
        var result = peak.max()
        while index < count {
            result = max(result, abs(source[index]))
            index &+= 1
        }
        return result
    }
}
