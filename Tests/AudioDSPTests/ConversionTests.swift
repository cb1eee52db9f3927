import TestSupport
import AudioDSP
import Testing

/// The SIMD conversions against plain scalar references, at every channel count and at frame
/// counts that leave every possible tail after the vector loop.
@Suite("Sample-format conversion")
struct ConversionTests {
    static let frameCounts = [0, 1, 7, 8, 15, 16, 17, 31, 1_023, 4_096]

    /// Scalar reference: interleaved[frame × channels + channel] → planar[channel][frame].
    static func referenceDeinterleave<T>(_ interleaved: [T], channels: Int) -> [[T]] {
        let frames = channels == 0 ? 0 : interleaved.count / channels
        return (0..<channels).map { channel in (0..<frames).map { interleaved[$0 * channels + channel] } }
    }

    @Test("float deinterleave equals the scalar reference", arguments: 1...8, frameCounts)
    func floatDeinterleave(channels: Int, frames: Int) {
        var generator = SplitMix64(seed: UInt64(channels * 10_000 + frames))
        let interleaved = (0..<frames * channels).map { _ in Float.random(in: -1...1, using: &generator) }
        let planar = PlanarBuffers<Float>(channels: channels, frames: frames, fill: .nan)
        interleaved.withUnsafeBufferPointer { Deinterleave.floats($0, into: planar.mutable, frames: frames) }
        #expect((0..<channels).map(planar.channel) == Self.referenceDeinterleave(interleaved, channels: channels))
    }

    @Test("integer deinterleave gives exact samples and their float view", arguments: 1...8, [8, 16, 24, 32])
    func integerDeinterleave(channels: Int, bits: Int) {
        let frames = 1_027
        var generator = SplitMix64(seed: UInt64(channels * 100 + bits))
        let shift = 32 - bits
        // Left-justified as libsndfile delivers them: the low `shift` bits are zero.
        let interleaved = (0..<frames * channels).map { _ in (Int32(truncatingIfNeeded: generator.next()) >> shift) << shift }
        let integers = PlanarBuffers<Int32>(channels: channels, frames: frames, fill: 0x5a5a)
        let floats = PlanarBuffers<Float>(channels: channels, frames: frames, fill: .nan)
        interleaved.withUnsafeBufferPointer {
            Deinterleave.integers($0, shift: Int32(shift), integersInto: integers.mutable, floatsInto: floats.mutable, frames: frames)
        }
        let reference = Self.referenceDeinterleave(interleaved, channels: channels)
        for channel in 0..<channels {
            #expect(integers.channel(channel) == reference[channel].map { $0 >> shift })
            #expect(floats.channel(channel) == reference[channel].map { Float($0) / 2_147_483_648 })
        }
    }

    @Test("interleave inverts deinterleave", arguments: 1...8, frameCounts)
    func interleaveRoundTrip(channels: Int, frames: Int) {
        var generator = SplitMix64(seed: UInt64(frames * 10 + channels))
        let planar = PlanarBuffers<Float>(channels: channels, frames: frames, fill: 0)
        var expected = [Float](repeating: 0, count: frames * channels)
        for channel in 0..<channels {
            let samples = (0..<frames).map { _ in Float.random(in: -1...1, using: &generator) }
            planar.set(channel, samples)
            for frame in 0..<frames { expected[frame * channels + channel] = samples[frame] }
        }
        var interleaved = [Float](repeating: .nan, count: frames * channels)
        planar.readOnly.withUnsafeBufferPointer { pointers in
            interleaved.withUnsafeMutableBufferPointer { Interleave.floats(pointers, into: $0, frames: frames) }
        }
        #expect(interleaved == expected)
    }

    @Test("the non-finite scan finds the first NaN or infinity wherever it is", arguments: [Float.nan, .infinity, -.infinity, .signalingNaN])
    func nonFiniteScan(poison: Float) {
        for count in [1, 15, 16, 17, 100] {
            for position in Set([0, count / 2, count - 1]) {
                var samples = (0..<count).map { Float($0) * 1e-3 }
                samples[position] = poison
                if position + 1 < count { samples[count - 1] = poison }
                #expect(samples.withUnsafeBufferPointer(NonFiniteScan.firstIndex) == position, "count \(count), position \(position)")
            }
        }
    }

    @Test("the non-finite scan passes every finite extreme")
    func finiteExtremes() {
        let samples: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude, 0, -0.0]
        let repeated = Array(repeating: samples, count: 5).flatMap { $0 }
        #expect(repeated.withUnsafeBufferPointer(NonFiniteScan.firstIndex) == nil)
        #expect([Float]().withUnsafeBufferPointer(NonFiniteScan.firstIndex) == nil)
    }
}
