import TestSupport
import AudioDSP
import Testing

/// The preview's fold to stereo: the documented gains, and the SIMD kernel against a scalar one.
@Suite("Stereo downmix")
struct StereoDownmixTests {
    static let minus3dB: Float = 0.707_106_77

    @Test("5.1: fronts at unity, centre and surrounds at −3 dB, LFE dropped")
    func fivePointOneGains() {
        let downmix = StereoDownmix(layout: ChannelRole.defaultLayout(channels: 6))
        #expect(downmix.leftGains == [1, 0, Self.minus3dB, 0, Self.minus3dB, 0])
        #expect(downmix.rightGains == [0, 1, Self.minus3dB, 0, 0, Self.minus3dB])
    }

    @Test("7.1: side and back pairs go to their own side at −3 dB")
    func sevenPointOneGains() {
        let downmix = StereoDownmix(layout: ChannelRole.defaultLayout(channels: 8))
        #expect(downmix.leftGains == [1, 0, Self.minus3dB, 0, Self.minus3dB, 0, Self.minus3dB, 0])
        #expect(downmix.rightGains == [0, 1, Self.minus3dB, 0, 0, Self.minus3dB, 0, Self.minus3dB])
    }

    @Test("unknown positions go to both sides like a centre channel")
    func unknownPositions() {
        let downmix = StereoDownmix(layout: [.unknown, .unknown, .unknown])
        #expect(downmix.leftGains == [Self.minus3dB, Self.minus3dB, Self.minus3dB])
        #expect(downmix.rightGains == downmix.leftGains)
    }

    @Test("the SIMD mix equals a scalar mix with the same gains", arguments: 3...8, [0, 1, 7, 8, 9, 4_097])
    func matchesScalarReference(channels: Int, frames: Int) {
        let layout = ChannelRole.defaultLayout(channels: channels)
        let downmix = StereoDownmix(layout: layout)
        var generator = SplitMix64(seed: UInt64(channels * 7 + frames))
        let input = PlanarBuffers<Float>(channels: channels, frames: frames, fill: 0)
        for channel in 0..<channels {
            input.set(channel, (0..<frames).map { _ in Float.random(in: -1...1, using: &generator) })
        }
        let output = PlanarBuffers<Float>(channels: 2, frames: frames, fill: .nan)
        input.readOnly.withUnsafeBufferPointer { pointers in
            downmix.process(pointers, into: (output.pointers[0], output.pointers[1]), frames: frames)
        }
        for (side, gains) in [downmix.leftGains, downmix.rightGains].enumerated() {
            let reference = (0..<frames).map { frame in
                (0..<channels).reduce(Float(0)) { sum, channel in
                    gains[channel] == 0 ? sum : sum.addingProduct(input.channel(channel)[frame], gains[channel])
                }
            }
            #expect(output.channel(side) == reference)
        }
    }
}
