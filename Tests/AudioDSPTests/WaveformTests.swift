import AudioDSP
import Testing
import TestSupport

/// Waveform data in audiowaveform's layout.
@Suite("Waveform data")
struct WaveformTests {
    static func build(_ channels: [[Float]], zoom: Int = 256, bits: WaveformBuilder.Bits = .sixteen, split: Bool = false, block: Int = 1_000) -> WaveformData {
        var builder = WaveformBuilder(sampleRate: 48_000, channels: channels.count, samplesPerPixel: zoom, bits: bits, splitChannels: split, expectedFrames: Int64(channels[0].count))
        var offset = 0
        while offset < channels[0].count {
            let count = min(block, channels[0].count - offset)
            let pointers = channels.map { $0.withUnsafeBufferPointer { $0.baseAddress! + offset } }
            pointers.withUnsafeBufferPointer { builder.process($0, frames: count) }
            offset += count
        }
        return withExtendedLifetime(channels) { builder.result() }
    }

    @Test("min/max per pixel equal a scalar reference, mixed and split, any block size", arguments: [1, 100, 4_096], [false, true])
    func matchesScalarReference(block: Int, split: Bool) {
        var generator = SplitMix64(seed: UInt64(block))
        let channels = (0..<3).map { _ in (0..<5_000).map { _ in Float.random(in: -1...1, using: &generator) } }
        let data = Self.build(channels, zoom: 256, split: split, block: block)
        #expect(data.length == 20)  // 19 whole pixels + a partial one
        var expected: [Int] = []
        for start in stride(from: 0, to: 5_000, by: 256) {
            let range = start..<min(start + 256, 5_000)
            let sources: [[Float]] = split ? channels.map { Array($0[range]) } : [range.map { n in (channels[0][n] + channels[1][n] + channels[2][n]) / 3 }]
            for source in sources {
                expected.append(Int((source.min()! * 32_767).rounded()))
                expected.append(Int((source.max()! * 32_767).rounded()))
            }
        }
        #expect(data.channels == (split ? 3 : 1))
        let worst = zip(data.data, expected).map { abs(Int($0) - $1) }.max() ?? 0
        #expect(data.data.count == expected.count)
        #expect(worst <= 1, "largest difference \(worst)")  // float summation order may move the mix by one code
    }

    @Test("the .dat header and 8-bit data follow audiowaveform's version 2 layout")
    func datLayout() {
        let square = (0..<600).map { Float(($0 / 50) % 2 == 0 ? 0.5 : -0.25) }
        let data = Self.build([square], zoom: 300, bits: .eight)
        let bytes = data.datBytes()
        func int32(_ offset: Int) -> Int32 { bytes[offset..<offset + 4].enumerated().reduce(0) { $0 | Int32($1.1) << (8 * $1.0) } }
        #expect(int32(0) == 2)        // version
        #expect(int32(4) == 1)        // flags: 8-bit
        #expect(int32(8) == 48_000)   // sample rate
        #expect(int32(12) == 300)     // samples per pixel
        #expect(int32(16) == 2)       // length
        #expect(int32(20) == 1)       // channels
        #expect(bytes.count == 24 + 4)
        // 8-bit values are the 16-bit ones >> 8: 0.5 × 32767 → 16384 → 64; −0.25 × 32767 → −8192 → −32.
        #expect(bytes[24...].map { Int8(bitPattern: $0) } == [-32, 64, -32, 64])
    }
}

extension WaveformTests {
    @Test("drained batches followed by the tail are the whole waveform")
    func drainKeepsEverything() {
        var generator = SplitMix64(seed: 4)
        let samples = (0..<10_000).map { _ in Float.random(in: -1...1, using: &generator) }
        let whole = Self.build([samples], zoom: 100)
        var builder = WaveformBuilder(sampleRate: 48_000, channels: 1, samplesPerPixel: 100)
        var streamed: [Int16] = []
        var offset = 0
        while offset < samples.count {
            let count = min(777, samples.count - offset)
            samples.withUnsafeBufferPointer { buffer in
                [buffer.baseAddress! + offset].withUnsafeBufferPointer { builder.process($0, frames: count) }
            }
            if builder.pendingValues > 30 { streamed += builder.drainPairs() }
            offset += count
        }
        streamed += builder.result().data
        #expect(streamed == whole.data)
        #expect(builder.drainedPixels + builder.result().length == whole.length)
    }
}
