import AudioDSP
import Testing
import TestSupport

/// Quality flags on signals built to show (or not show) each problem.
@Suite("Signal quality")
struct SignalQualityTests {
    static func quality(_ channels: [[Float]], block: Int = 4_096, settings: SignalQualityMeter.Settings = .init()) -> SignalQuality {
        var meter = SignalQualityMeter(channels: channels.count, settings: settings)
        let frames = channels[0].count
        var offset = 0
        while offset < frames {
            let count = min(block, frames - offset)
            let pointers = channels.map { $0.withUnsafeBufferPointer { $0.baseAddress! + offset } }
            pointers.withUnsafeBufferPointer { meter.process($0, frames: count) }
            offset += count
        }
        return withExtendedLifetime(channels) { meter.result() }
    }

    static func sine(_ count: Int, amplitude: Float, period: Double = 100) -> [Float] {
        (0..<count).map { amplitude * Float(sin(2 * Double.pi * Double($0) / period)) }
    }

    @Test("a clean sine raises no flag")
    func cleanSine() {
        let result = Self.quality([Self.sine(48_000, amplitude: 0.5), Self.sine(48_000, amplitude: 0.4)])
        #expect(result.flags.isEmpty)
        #expect(abs(result.stereoCorrelation! - 1) < 1e-6)
    }

    @Test("flat tops at full scale are clipped runs, counted across block boundaries", arguments: [1, 7, 4_096])
    func clipping(block: Int) {
        // A sine driven 6 dB into a hard clip: flat tops of several samples each half period.
        let clipped = Self.sine(4_800, amplitude: 2).map { max(-1, min(1, $0)) }
        let result = Self.quality([clipped], block: block)
        #expect(result.flags.contains("clipped"))
        #expect(result.channels[0].clippedRuns == 96)   // 48 periods × 2 tops
        #expect(result.channels[0].longestClippedRun >= 30)
    }

    @Test("a float take swinging smoothly over full scale is over_full_scale, not clipped")
    func overFullScale() {
        let result = Self.quality([Self.sine(4_800, amplitude: 1.2)])
        #expect(result.flags == ["over_full_scale"])
        #expect(result.channels[0].clippedRuns == 0)
    }

    @Test("a DC offset of −40 dBFS is flagged with its value")
    func dcOffset() {
        let result = Self.quality([Self.sine(48_000, amplitude: 0.5).map { $0 + 0.01 }])
        #expect(result.flags == ["dc_offset"])
        #expect(abs(result.channels[0].dcOffset - 0.01) < 1e-5)
    }

    @Test("all zeros is digital silence; −70 dBFS noise is near-silence")
    func silence() {
        #expect(Self.quality([[Float](repeating: 0, count: 1_000)]).flags == ["digital_silence"])
        var generator = SplitMix64(seed: 1)
        let faint = (0..<10_000).map { _ in Float.random(in: -0.0003...0.0003, using: &generator) }
        let result = Self.quality([faint])
        #expect(result.flags == ["near_silence"])
        #expect(result.cueInFrame == nil)
    }

    @Test("a dead side of a stereo take is a silent channel")
    func deadChannel() {
        let result = Self.quality([Self.sine(10_000, amplitude: 0.5), [Float](repeating: 0, count: 10_000)])
        #expect(result.flags == ["silent_channel"])
        #expect(result.channels[1].digitalSilence)
        #expect(result.stereoCorrelation == nil)
    }

    @Test("one side inverted gives correlation −1 and inverse_polarity")
    func inversePolarity() {
        let left = Self.sine(10_000, amplitude: 0.5)
        let result = Self.quality([left, left.map { -$0 }])
        #expect(abs(result.stereoCorrelation! + 1) < 1e-6)
        #expect(result.flags == ["inverse_polarity"])
    }

    @Test("cue-in and cue-out mark where the audio starts and ends", arguments: [1, 13, 4_096])
    func cuePoints(block: Int) {
        var audio = [Float](repeating: 0, count: 20_000)
        for n in 3_000..<15_000 { audio[n] = 0.5 * Float(sin(Double(n) * 0.1 + 1)) }
        audio[3_000] = 0.2
        audio[14_999] = -0.2
        let result = Self.quality([audio, [Float](repeating: 0.0001, count: 20_000)], block: block)
        #expect(result.cueInFrame == 3_000)
        #expect(result.cueOutFrame == 15_000)
    }

    @Test("DC offset and correlation equal a scalar reference on random input", arguments: [1, 9, 1_001])
    func matchesScalarReference(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count))
        let left = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let right = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let result = Self.quality([left, right], block: 97)
        let mean = left.reduce(0.0) { $0 + Double($1) } / Double(count)
        let lr = zip(left, right).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let ll = left.reduce(0.0) { $0 + Double($1) * Double($1) }, rr = right.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(result.channels[0].dcOffset - mean) < 1e-6)
        #expect(abs(try #require(result.stereoCorrelation) - lr / (ll * rr).squareRoot()) < 1e-5)
    }
}

#if canImport(Glibc)
import Glibc
#endif
