import AudioTestSupport
import TestSupport
import AudioCodecs
import Testing

/// The reader that checks previews before they commit, against the reference decoder (`opusdec`,
/// opus-tools: libopusfile over libopus) and against libsndfile's reading of the same file.
@Suite("Ogg Opus reader")
struct OggOpusReaderTests {
    /// Everything the reader delivers, planar.
    private func readAll(_ path: String) throws -> (reader: OggOpusReader, channels: [[Float]]) {
        let reader = try OggOpusReader(path: path)
        var channels = [[Float]](repeating: [], count: reader.channels)
        while case let frames = try reader.read(), frames > 0 {
            for channel in 0..<reader.channels {
                channels[channel] += UnsafeBufferPointer(start: reader.channelPointers[channel], count: frames)
            }
        }
        return (reader, channels)
    }

    /// `opusdec --float` at 48 kHz: pre-skip, end trimming and the header gain applied.
    private func opusdec(_ path: String, in directory: TestDirectory) throws -> [[Float]] {
        let decoded = directory.file("opusdec.wav")
        let result = run("opusdec", ["--quiet", "--float", "--rate", "48000", path, decoded])
        #expect(result.status == 0, "opusdec: \(result.standardError)")
        return try decodeFloats(decoded)
    }

    /// The largest difference between two sets of planar channels (∞ when their shapes differ).
    private func largestDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.count == $1.count }) else { return .infinity }
        return zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    private func preview(_ directory: TestDirectory, rate: Int, channels: Int, frames: Int, headerGainDB: Double = 0) throws -> String {
        let source = TestAudioFile.write(directory.file("take-\(rate)-\(channels).wav"), format: .wav24, sampleRate: rate,
                                         channels: testChannels(channels, frames: frames, bits: 24, signals: [.sine, .noise]))
        let path = directory.file("preview-\(rate)-\(channels).opus")
        _ = try Transcoder.transcode(source, to: .opus, outputPath: path,
                                     preview: PreviewSettings(normalize: false, opus: OpusPreviewSettings(headerGainDB: headerGainDB)))
        return path
    }

    @Test("decodes previews exactly as opusdec does: length, pre-skip, end trim, header gain", arguments: [
        (48_000, 2, 96_001, 0.0),    // an odd length: the end trim must be exact
        (48_000, 1, 59_256, 0.0),
        (44_100, 2, 88_200, 0.0),    // 48 kHz in the stream: ⌈88200 · 48000 / 44100⌉ = 96000 frames
        (48_000, 2, 40_000, -6.5),   // the OpusHead's output gain is applied
        (48_000, 2, 1, 0.0),         // shorter than the pre-skip: one packet, one frame of audio
        (48_000, 1, 1_000, 0.0),     // shorter than one 20 ms packet
    ])
    func matchesOpusdec(rate: Int, channels: Int, frames: Int, headerGainDB: Double) throws {
        let directory = TestDirectory()
        let path = try preview(directory, rate: rate, channels: channels, frames: frames, headerGainDB: headerGainDB)
        let (reader, decoded) = try readAll(path)
        let expectedFrames = (frames * 48_000 + rate - 1) / rate
        #expect(reader.channels == channels)
        #expect(reader.mappingFamily == 0)
        #expect(reader.preSkip == 312)
        #expect(reader.outputGainDB == headerGainDB)
        #expect(reader.framesDelivered == Int64(expectedFrames))
        #expect(decoded.first?.count == expectedFrames)
        // Same library, same packets: the samples agree to float rounding of the gain (≤ −100 dBFS).
        #expect(largestDifference(decoded, try opusdec(path, in: directory)) <= 1e-5)
    }

    @Test("reads channel mapping family 1 (5.1 from opusenc) through the multistream decoder")
    func surround() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("surround.wav"), format: .wav16, sampleRate: 48_000,
                                         channels: testChannels(6, frames: 48_000, bits: 16, signals: [.sine, .noise]))
        let path = directory.file("surround.opus")
        #expect(run("opusenc", ["--quiet", "--bitrate", "256", source, path]).status == 0)
        let (reader, decoded) = try readAll(path)
        #expect(reader.channels == 6)
        #expect(reader.mappingFamily == 1)
        #expect(reader.layout == [.left, .center, .right, .backLeft, .backRight, .lfe])
        #expect(reader.framesDelivered == 48_000)
        // opusdec writes WAVE order (L R C LFE BL BR); the stream is in Vorbis order (L C R BL BR LFE).
        let waveOrder = [0, 2, 1, 5, 3, 4].map { decoded[$0] }
        #expect(largestDifference(waveOrder, try opusdec(path, in: directory)) <= 1e-5)
    }

    @Test("the preview check measures what a full analysis of the file measures")
    func measurementAgreesWithAnalysis() throws {
        let directory = TestDirectory()
        let path = try preview(directory, rate: 48_000, channels: 2, frames: 480_000)
        let measured = try DecodedPreviewLevels.measure(path: path)
        let analysed = try FileAnalysis.analyze(path: path)   // libsndfile's decode, the full analyser
        #expect(measured.frames == analysed.info.frames)
        let loudness = try #require(measured.integratedLUFS), reference = try #require(analysed.report.integratedLufs)
        #expect(abs(loudness - reference) <= 0.01)
        let peak = try #require(measured.truePeakDBTP), referencePeak = try #require(analysed.report.truePeakDbtp)
        #expect(abs(peak - referencePeak) <= 0.01)
        // Both of those are takevault's meters: opusdec and libebur128 must agree with them too.
        let independent = try IndependentMeter.measureOpus(path, scratch: directory)
        #expect(abs(loudness - independent.integratedLUFS) <= 0.05, "ours \(loudness), libebur128 \(independent.integratedLUFS)")
        // True peaks within Tech 3341's tolerance for a conformant meter (+0.2 / −0.4 dB): libebur128
        // does not use BS.1770's interpolation filter (measured 0.22 dB apart on this preview).
        #expect(abs(peak - independent.truePeakDBTP) <= 0.4, "ours \(peak), libebur128 \(independent.truePeakDBTP)")
    }

    @Test("a damaged, truncated or foreign file is an opus_stream_error, never audio", arguments: ["flipped", "truncated", "no-end", "wav"])
    func damage(kind: String) throws {
        let directory = TestDirectory()
        let path = try preview(directory, rate: 48_000, channels: 2, frames: 240_000)
        var bytes = directory.read(path)
        switch kind {
        case "flipped": bytes[bytes.count / 2] ^= 0x10                       // the page's CRC no longer holds
        case "truncated": bytes.removeLast(bytes.count / 3)                  // cut inside a page
        case "no-end":
            // Cut at the start of the last page: every page intact, the end-of-stream page missing.
            let capture = Array("OggS".utf8)
            let last = try #require((0..<(bytes.count - 4)).last { Array(bytes[$0..<$0 + 4]) == capture })
            bytes.removeLast(bytes.count - last)
        default: bytes = directory.read(directory.file("take-48000-2.wav"))
        }
        let damaged = directory.write("damaged.opus", bytes: bytes)
        do {
            _ = try readAll(damaged)
            Issue.record("\(kind): read without an error")
        } catch let failure as CodecFailure {
            #expect(failure.code == "opus_stream_error", "\(kind): \(failure.message)")
            #expect(failure.category == .integrity)
        }
    }
}
