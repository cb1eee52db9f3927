import TestSupport
import AudioCodecs
import Testing

/// The reader delivers every format libsndfile reads as planar floats, in blocks, to the last frame.
@Suite("Decoding")
struct DecodeTests {
    static func tone(frames: Int, seed: Double) -> [Float] {
        (0..<frames).map { Float(0.5 * sin(Double($0) * 0.031 * seed)) }
    }

    @Test("float and double WAV and AIFC decode bit-exactly", arguments: [TestAudioFile.Format.wavFloat, .wavDouble, .aifcFloat])
    func floatFormatsAreExact(format: TestAudioFile.Format) throws {
        let directory = TestDirectory()
        // Values above full scale are legal in float files and must survive (no clipping on read).
        let channels = [Self.tone(frames: 9_001, seed: 1).map { $0 * 3 }, Self.tone(frames: 9_001, seed: 2)]
        let path = TestAudioFile.write(directory.file("take.\(format.extensionName)"), format: format, sampleRate: 96_000, floatChannels: channels)
        let info = try AudioProbe.probe(path: path)
        #expect(info.sampleKind == .float)
        #expect(firstDifference(try decodeFloats(path), channels) == nil)
    }

    @Test("lossy formats decode to the frames their headers declare", arguments: [TestAudioFile.Format.oggVorbis, .oggOpus, .mp3])
    func lossyFormatsDecodeFully(format: TestAudioFile.Format) throws {
        // Debian's libsndfile 1.2 is built with LAME and mpg123: MP3 is read and written.
        #expect(TestAudioFile.canWrite(format), "libsndfile cannot write \(format)")
        let directory = TestDirectory()
        let frames = 48_000
        let channels = [Self.tone(frames: frames, seed: 1), Self.tone(frames: frames, seed: 3)]
        let path = TestAudioFile.write(directory.file("take.\(format.extensionName)"), format: format, sampleRate: 48_000, floatChannels: channels)
        let info = try AudioProbe.probe(path: path)
        #expect(info.sampleKind == .lossy)
        #expect(info.bitsPerSample == nil)
        let decoded = try decodeFloats(path)
        #expect(decoded.count == 2)
        #expect(Int64(decoded[0].count) == info.frames)
        // A lossy codec keeps the signal's energy: RMS within 1 dB of the input's.
        func rms(_ samples: [Float]) -> Double { (samples.reduce(0) { $0 + Double($1 * $1) } / Double(max(samples.count, 1))).squareRoot() }
        let ratio = rms(decoded[0]) / rms(channels[0])
        #expect(abs(20 * log10(ratio)) < 1, "level changed by \(20 * log10(ratio)) dB")
    }

    @Test("the reader streams: the block size does not change the samples", arguments: [1, 64, 4_096, 100_000])
    func blockSizeIndependence(capacity: Int) throws {
        let directory = TestDirectory()
        let written = testChannels(3, frames: 20_011, bits: 24)
        let path = TestAudioFile.write(directory.file("take.wav"), format: .wavex24, sampleRate: 48_000, channels: written)
        let reader = try AudioFileReader(path: path)
        let block = reader.makeBlock(capacity: capacity)
        var channels = [[Int32]](repeating: [], count: 3)
        while try reader.read(into: block) > 0 {
            for channel in 0..<3 { channels[channel] += block.integerChannel(channel) }
        }
        #expect(firstDifference(channels, written) == nil)
        #expect(reader.framesDecoded == 20_011)
        #expect(try reader.read(into: block) == 0)  // and it stays at the end
    }
}

#if canImport(Glibc)
import Glibc
#endif
