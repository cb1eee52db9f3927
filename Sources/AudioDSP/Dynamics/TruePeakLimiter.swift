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
public struct TruePeakLimiter: Sendable {
    public let channels: Int
    public let ceiling: Float
    /// Look-ahead (attack) length in samples.
    public let lookahead: Int
    /// Total delay from input to output, in samples.
    public let delay: Int
    private let holdLength: Int
    private let releaseCoefficient: Double

    private let taps: [SIMD4<Float>]
    /// Per channel, the last 11 inputs (oldest first) and then the chunk being detected.
    private var padded: [Float]
    /// Each frame's need in the chunk being processed.
    private var needs: [Float]
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
    public private(set) var engaged = false
    /// The smallest gain applied (1 when never engaged).
    public private(set) var minimumGain: Float = 1

    public init(sampleRate: Int, channels: Int, ceilingDB: Double, lookaheadMilliseconds: Double = 5, releaseMilliseconds: Double = 100) {
        self.channels = channels
        ceiling = Float(Decibels.toLinear(ceilingDB))
        lookahead = max(8, Int((lookaheadMilliseconds / 1_000 * Double(sampleRate)).rounded()))
        // The true-peak filter reports a peak near input n − 6 at n; the hold reaches 4 samples
        // further and the delay 8 further, so a peak is always inside every window that sets the
        // gain of the samples around it.
        holdLength = lookahead + 4
        delay = lookahead + 7
        releaseCoefficient = exp(-1 / (releaseMilliseconds / 1_000 * Double(sampleRate)))
        let phases = TruePeakFilter.phases
        taps = (0..<TruePeakFilter.tapsPerPhase).map { k in SIMD4(phases[0][k], phases[1][k], phases[2][k], phases[3][k]) }
        padded = [Float](repeating: 0, count: channels * (Self.historyLength + Self.chunkFrames))
        needs = [Float](repeating: 1, count: Self.chunkFrames)
        delayLine = [Float](repeating: 0, count: channels * delay)
        holdValues = [Float](repeating: 1, count: holdLength + 1)
        holdIndices = [Int64](repeating: 0, count: holdLength + 1)
        boxValues = [Double](repeating: 1, count: lookahead)
        boxSum = Double(lookahead)
    }

    /// Limits `frames` frames; writes the completed output frames to `output` (room for `frames`)
    /// and returns how many.
    public mutating func process(
        _ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int,
        into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>
    ) -> Int {
        precondition(input.count == channels && output.count == channels, "channel count mismatch")
        var written = 0
        var offset = 0
        while offset < frames {
            let count = min(Self.chunkFrames, frames - offset)
            let start = offset
            written = run(count: count, written: written, sample: { input[$0][start + $1] }, write: { output[$0][$1] = $2 })
            offset += count
        }
        return written
    }

    /// Flushes the delay line (feeding silence) and returns how many frames it wrote (room for
    /// ``delay`` needed).
    public mutating func finish(into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>) -> Int {
        let inputFrames = sampleIndex
        var written = 0
        // Each silent frame fed emits one (once past the delay): feed exactly what is still owed.
        while emittedFrames < inputFrames {
            let count = Int(min(Int64(Self.chunkFrames), inputFrames - emittedFrames))
            written = run(count: count, written: written, sample: { _, _ in 0 }, write: { output[$0][$1] = $2 })
        }
        return written
    }

    static let historyLength = TruePeakFilter.tapsPerPhase - 1
    /// Frames detected at once: the need of a whole chunk is computed first (the 4× interpolation,
    /// vectorised over the phases, on contiguous memory), then the gain runs frame by frame.
    static let chunkFrames = 1_024

    /// `count` frames (≤ ``chunkFrames``) through detection and then the gain; `write(channel,
    /// frame, value)` receives output frames from `written` on. Returns the new `written`.
    @inline(__always)
    private mutating func run(count: Int, written start: Int, sample: (Int, Int) -> Float, write: (Int, Int, Float) -> Void) -> Int {
        detect(count: count, sample: sample)
        // The state moves into locals for the loop (arrays swapped out, not copied), so the loop
        // works on plain pointers without exclusivity or uniqueness checks per sample.
        var holdValues: [Float] = [], holdIndices: [Int64] = [], boxValues: [Double] = [], delayLine: [Float] = [], needs: [Float] = []
        swap(&holdValues, &self.holdValues)
        swap(&holdIndices, &self.holdIndices)
        swap(&boxValues, &self.boxValues)
        swap(&delayLine, &self.delayLine)
        swap(&needs, &self.needs)
        defer {
            swap(&holdValues, &self.holdValues)
            swap(&holdIndices, &self.holdIndices)
            swap(&boxValues, &self.boxValues)
            swap(&delayLine, &self.delayLine)
            swap(&needs, &self.needs)
        }
        var holdHead = self.holdHead, holdCount = self.holdCount, released = self.released
        var boxIndex = self.boxIndex, boxSum = self.boxSum, delayIndex = self.delayIndex
        var sampleIndex = self.sampleIndex, emittedFrames = self.emittedFrames
        var engaged = self.engaged, minimumGain = self.minimumGain
        let capacity = holdValues.count, lookahead = self.lookahead, delay = self.delay, channels = self.channels
        let holdLength = Int64(self.holdLength), releaseCoefficient = self.releaseCoefficient
        let lookaheadLimit = Double(lookahead)
        var written = start
        holdValues.withUnsafeMutableBufferPointer { holdValues in
        holdIndices.withUnsafeMutableBufferPointer { holdIndices in
        boxValues.withUnsafeMutableBufferPointer { boxValues in
        delayLine.withUnsafeMutableBufferPointer { delayLine in
        needs.withUnsafeBufferPointer { needs in
            for n in 0..<count {
                let need = needs[n]
                // 2. Sliding minimum over the hold window (monotonic deque in a ring).
                while holdCount > 0 {
                    var last = holdHead + holdCount - 1
                    if last >= capacity { last -= capacity }
                    guard holdValues[last] >= need else { break }
                    holdCount -= 1
                }
                var tail = holdHead + holdCount
                if tail >= capacity { tail -= capacity }
                holdValues[tail] = need
                holdIndices[tail] = sampleIndex
                holdCount += 1
                while holdIndices[holdHead] <= sampleIndex - holdLength {
                    holdHead += 1
                    if holdHead == capacity { holdHead = 0 }
                    holdCount -= 1
                }
                let held = Double(holdValues[holdHead])
                // 3. Release upwards exponentially, never above the held need.
                released = held < released ? held : held - (held - released) * releaseCoefficient
                // 4. Average over the look-ahead.
                boxSum += released - boxValues[boxIndex]
                boxValues[boxIndex] = released
                boxIndex += 1
                if boxIndex == lookahead { boxIndex = 0 }
                let gain = boxSum >= lookaheadLimit ? 1 : Float(boxSum / lookaheadLimit)
                if gain < 1 {
                    engaged = true
                    minimumGain = min(minimumGain, gain)
                }
                // 5. Delay the audio to meet its gain.
                let emits = sampleIndex >= Int64(delay)
                for channel in 0..<channels {
                    let slot = channel * delay + delayIndex
                    if emits { write(channel, written, delayLine[slot] * gain) }
                    delayLine[slot] = sample(channel, n)
                }
                delayIndex += 1
                if delayIndex == delay { delayIndex = 0 }
                sampleIndex += 1
                if emits {
                    emittedFrames += 1
                    written += 1
                }
            }
        }
        }
        }
        }
        }
        self.holdHead = holdHead
        self.holdCount = holdCount
        self.released = released
        self.boxIndex = boxIndex
        self.boxSum = boxSum
        self.delayIndex = delayIndex
        self.sampleIndex = sampleIndex
        self.emittedFrames = emittedFrames
        self.engaged = engaged
        self.minimumGain = minimumGain
        return written
    }

    /// 1. Each frame's need, linked over channels: min(1, ceiling / peak), the peak being the
    /// largest of the sample and its four interpolated phases on any channel.
    @inline(__always)
    private mutating func detect(count: Int, sample: (Int, Int) -> Float) {
        let history = Self.historyLength
        let stride = history + Self.chunkFrames
        let taps = self.taps
        let ceiling = self.ceiling
        let channels = self.channels
        taps.withUnsafeBufferPointer { taps in
        needs.withUnsafeMutableBufferPointer { needs in
            padded.withUnsafeMutableBufferPointer { padded in
                for n in 0..<count { needs[n] = 0 }
                for channel in 0..<channels {
                    let row = padded.baseAddress! + channel * stride
                    for n in 0..<count { row[history + n] = sample(channel, n) }
                    for n in 0..<count {
                        let i = history + n
                        let x = row[i]
                        var y = taps[0] * x
                        for k in 1..<TruePeakFilter.tapsPerPhase { y.addProduct(taps[k], row[i - k]) }
                        needs[n] = max(needs[n], max(magnitude(y).max(), abs(x)))
                    }
                    // The last 11 inputs become the history of the next chunk.
                    for k in 0..<history { row[k] = row[count + k] }
                }
                for n in 0..<count {
                    let peak = needs[n]
                    needs[n] = peak > ceiling ? ceiling / peak : 1
                }
            }
        }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
