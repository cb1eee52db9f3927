@testable import AudioDSP
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The block-wise ``TruePeakLimiter`` against the frame-at-a-time reference it replaced: the same
/// output, bit for bit, and the same report, whatever the block sizes, channel counts and rates.
@Suite("True-peak limiter against its scalar reference")
struct LimiterReferenceTests {
    /// Runs `channels` through the reference in blocks of `block` frames, then finishes.
    static func reference(_ channels: [[Float]], ceilingDB: Double, rate: Int, block: Int) -> (output: [[Float]], engaged: Bool, minimumGain: Float) {
        let (output, limiter) = DynamicsTests.run(
            channels, through: ReferenceTruePeakLimiter(sampleRate: rate, channels: channels.count, ceilingDB: ceilingDB), block: block)
        return (output, limiter.engaged, limiter.minimumGain)
    }

    /// Loud noise with sharp bursts, `count` channels: the limiter works hard and often.
    static func signal(channels: Int, frames: Int, seed: UInt64) -> [[Float]] {
        var generator = SplitMix64(seed: seed)
        return (0..<channels).map { channel in
            (0..<frames).map { n in
                let noise = Float(Double(generator.next() % 2_000) / 1_000 - 1) * 0.3
                let burst: Float = (n / 700 + channel) % 5 == 0 ? 2.5 * Float(sin(Double(n) * 0.9)) : 0
                return noise + burst
            }
        }
    }

    @Test("same samples and report as the reference", arguments: [
        (1, 48_000, 1), (2, 48_000, 7), (2, 44_100, 1_000), (2, 48_000, 4_096), (6, 96_000, 5_000), (2, 48_000, 1_024), (3, 48_000, 31),
    ])
    func matches(channels: Int, rate: Int, block: Int) {
        let input = Self.signal(channels: channels, frames: 12_345, seed: UInt64(channels * 1_000 + block))
        for ceiling in [-1.0, -6.0] {
            let ours = DynamicsTests.limit(input, ceilingDB: ceiling, rate: rate, block: block)
            let expected = Self.reference(input, ceilingDB: ceiling, rate: rate, block: block)
            #expect(ours.output == expected.output, "\(channels) ch, \(rate) Hz, blocks of \(block), ceiling \(ceiling)")
            #expect(ours.limiter.engaged == expected.engaged)
            #expect(ours.limiter.minimumGain == expected.minimumGain)
        }
    }

    @Test("inputs shorter than the delay, and empty ones, come out whole")
    func shortInputs() {
        for frames in [0, 1, 5, 200, 247, 248, 249] {
            let input = Self.signal(channels: 2, frames: frames, seed: UInt64(frames))
            let ours = DynamicsTests.limit(input, ceilingDB: -1, rate: 48_000, block: 64)
            let expected = Self.reference(input, ceilingDB: -1, rate: 48_000, block: 64)
            #expect(ours.output == expected.output, "\(frames) frames")
            #expect(ours.output.count == 2 && ours.output.allSatisfy { $0.count == frames })
        }
    }
}
