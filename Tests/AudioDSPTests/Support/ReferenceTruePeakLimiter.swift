import AudioDSP

/// What the tests need of a limiter: the shipped one and its reference both run through
/// ``DynamicsTests/run(_:through:block:)``.
protocol BlockLimiter {
    var delay: Int { get }
    var engaged: Bool { get }
    var minimumGain: Float { get }
    mutating func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int, into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>) -> Int
    mutating func finish(into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>) -> Int
}

extension TruePeakLimiter: BlockLimiter {}

/// The true-peak limiter as first written: one frame at a time, every stage in one step. Kept as
/// the reference the block-wise ``TruePeakLimiter`` must match sample for sample.
///
/// Original notes follow.
///
/// A look-ahead true-peak limiter: keeps the 4×-interpolated signal at or below a ceiling, with a
/// smooth gain and no overshoot, and leaves everything else untouched.
///
/// Detection: each sample's need r = min(1, ceiling / peak), where peak is the largest of the four
/// ``TruePeakFilter`` phases and the sample itself, linked across channels (one gain for all, so the
/// image does not move). The gain is then (1) the minimum of r over a hold window, (2) released
/// exponentially upwards, never above that minimum, and (3) averaged over the look-ahead length —
/// so every sample's gain is the mean of values each ≤ the need of any peak within the look-ahead,
/// which bounds the output at the ceiling by construction, and the gain ramps down over the whole
/// look-ahead before a peak instead of jumping. The audio is delayed to line up with its gain:
/// ``process(_:frames:into:)`` writes ``delay`` frames fewer than it reads at the start of the
/// stream, and ``finish(into:)`` writes those last frames, so output is aligned with input and as
/// long.
///
/// Where no peak comes near the ceiling the gain is exactly 1 and the output is the input, delayed.
/// ``process(_:frames:into:)`` allocates nothing.
struct ReferenceTruePeakLimiter: BlockLimiter {
    let channels: Int
    let ceiling: Float
    /// Look-ahead (attack) length in samples.
    let lookahead: Int
    /// Total delay from input to output, in samples.
    let delay: Int
    private let holdLength: Int
    private let releaseCoefficient: Double

    private let taps: [SIMD4<Float>]
    private var history: [Float]          // channels × 11, true-peak filter state
    private var delayLine: [Float]        // channels × delay, ring
    private var delayIndex = 0
    private var holdValues: [Float]       // monotonic deque of (value, index) for the sliding minimum
    private var holdIndices: [Int64]
    private var holdHead = 0, holdCount = 0
    private var released: Double = 1
    private var boxValues: [Double]       // ring of the last `lookahead` released values
    private var boxIndex = 0
    private var boxSum: Double
    private var sampleIndex: Int64 = 0
    private var emittedFrames: Int64 = 0

    /// Whether any sample's gain went below 1.
    private(set) var engaged = false
    /// The smallest gain applied (1 when never engaged).
    private(set) var minimumGain: Float = 1

    init(sampleRate: Int, channels: Int, ceilingDB: Double, lookaheadMilliseconds: Double = 5, releaseMilliseconds: Double = 100) {
        self.channels = channels
        ceiling = Float(AudioDSP.Decibels.toLinear(ceilingDB))
        lookahead = max(8, Int((lookaheadMilliseconds / 1_000 * Double(sampleRate)).rounded()))
        // The true-peak filter reports a peak near input n − 6 at n; the hold reaches 4 samples
        // further and the delay 8 further, so a peak is always inside every window that sets the
        // gain of the samples around it.
        holdLength = lookahead + 4
        delay = lookahead + 7
        releaseCoefficient = exp(-1 / (releaseMilliseconds / 1_000 * Double(sampleRate)))
        let phases = TruePeakFilter.phases
        taps = (0..<TruePeakFilter.tapsPerPhase).map { k in SIMD4(phases[0][k], phases[1][k], phases[2][k], phases[3][k]) }
        history = [Float](repeating: 0, count: channels * (TruePeakFilter.tapsPerPhase - 1))
        delayLine = [Float](repeating: 0, count: channels * delay)
        holdValues = [Float](repeating: 1, count: holdLength + 1)
        holdIndices = [Int64](repeating: 0, count: holdLength + 1)
        boxValues = [Double](repeating: 1, count: lookahead)
        boxSum = Double(lookahead)
    }

    /// Limits `frames` frames; writes the completed output frames to `output` (room for `frames`)
    /// and returns how many.
    mutating func process(
        _ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int,
        into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>
    ) -> Int {
        precondition(input.count == channels && output.count == channels, "channel count mismatch")
        var written = 0
        for n in 0..<frames {
            let index = written
            if step(frame: { input[$0][n] }, write: { output[$0][index] = $1 }) { written += 1 }
        }
        return written
    }

    /// Flushes the delay line (feeding silence) and returns how many frames it wrote (room for
    /// ``delay`` needed).
    mutating func finish(into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>) -> Int {
        let inputFrames = sampleIndex
        var written = 0
        while emittedFrames < inputFrames {
            let index = written
            if step(frame: { _ in 0 }, write: { output[$0][index] = $1 }) { written += 1 }
        }
        return written
    }

    /// One frame in; returns whether a delayed frame came out (not during the first ``delay``).
    @inline(__always)
    private mutating func step(frame sample: (Int) -> Float, write: (Int, Float) -> Void) -> Bool {
        // 1. The need of this sample, linked over channels.
        var peak: Float = 0
        let historyLength = TruePeakFilter.tapsPerPhase - 1
        for channel in 0..<channels {
            let x = sample(channel)
            let base = channel * historyLength
            var y = taps[0] * x
            for k in 1..<TruePeakFilter.tapsPerPhase { y.addProduct(taps[k], history[base + k - 1]) }
            peak = max(peak, max(y.replacing(with: -y, where: y .< -y).max(), abs(x)))
            for k in stride(from: historyLength - 1, to: 0, by: -1) { history[base + k] = history[base + k - 1] }
            history[base] = x
        }
        let need: Float = peak > ceiling ? ceiling / peak : 1
        // 2. Sliding minimum over the hold window (monotonic deque in a ring).
        let capacity = holdValues.count
        while holdCount > 0 && holdValues[(holdHead + holdCount - 1) % capacity] >= need { holdCount -= 1 }
        holdValues[(holdHead + holdCount) % capacity] = need
        holdIndices[(holdHead + holdCount) % capacity] = sampleIndex
        holdCount += 1
        while holdIndices[holdHead] <= sampleIndex - Int64(holdLength) {
            holdHead = (holdHead + 1) % capacity
            holdCount -= 1
        }
        let held = Double(holdValues[holdHead])
        // 3. Release upwards exponentially, never above the held need.
        released = held < released ? held : held - (held - released) * releaseCoefficient
        // 4. Average over the look-ahead.
        boxSum += released - boxValues[boxIndex]
        boxValues[boxIndex] = released
        boxIndex = (boxIndex + 1) % lookahead
        let gain = boxSum >= Double(lookahead) ? 1 : Float(boxSum / Double(lookahead))
        if gain < 1 {
            engaged = true
            minimumGain = min(minimumGain, gain)
        }
        // 5. Delay the audio to meet its gain.
        let emits = sampleIndex >= Int64(delay)
        for channel in 0..<channels {
            let slot = channel * delay + delayIndex
            if emits { write(channel, delayLine[slot] * gain) }
            delayLine[slot] = sample(channel)
        }
        delayIndex = (delayIndex + 1) % delay
        sampleIndex += 1
        if emits { emittedFrames += 1 }
        return emits
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
