/// Deterministic test signals as right-justified integer samples at a given bit depth.
enum TestSignal: CaseIterable, CustomStringConvertible {
    case sine
    case noise
    case silence
    case fullScaleSquare

    var description: String {
        switch self {
        case .sine: "sine"
        case .noise: "noise"
        case .silence: "silence"
        case .fullScaleSquare: "square"
        }
    }

    /// `frames` samples of this signal for `bits`-bit PCM. `seed` varies noise and the sine's pitch
    /// so that channels differ (a swapped channel must fail a test).
    func samples(frames: Int, bits: Int, seed: UInt64 = 1) -> [Int32] {
        let maximum = bits == 32 ? Int64(Int32.max) : (Int64(1) << (bits - 1)) - 1
        let minimum = -maximum - 1
        switch self {
        case .sine:
            let step = 2 * Double.pi * (220 + 110 * Double(seed % 7)) / 48_000
            return (0..<frames).map { Int32((0.9 * Double(maximum) * sin(step * Double($0))).rounded()) }
        case .noise:
            var generator = SplitMix64(seed: seed)
            let span = UInt64(maximum - minimum) + 1
            return (0..<frames).map { _ in Int32(minimum + Int64(generator.next() % span)) }
        case .silence:
            return [Int32](repeating: 0, count: frames)
        case .fullScaleSquare:
            let period = 2 + Int(seed % 50)
            return (0..<frames).map { ($0 / period) % 2 == 0 ? Int32(maximum) : Int32(minimum) }
        }
    }
}

/// Planar channels for a test file: each channel a different signal kind and seed.
func testChannels(_ channels: Int, frames: Int, bits: Int, signals: [TestSignal] = TestSignal.allCases) -> [[Int32]] {
    (0..<channels).map { channel in
        signals[channel % signals.count].samples(frames: frames, bits: bits, seed: UInt64(channel + 1))
    }
}

#if canImport(Glibc)
import TestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
