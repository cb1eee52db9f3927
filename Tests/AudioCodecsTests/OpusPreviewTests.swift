import TestSupport
import AudioCodecs
import Testing

/// The preview decodes, with the reference decoder, to the input's length and a preview's channels.
@Suite("Opus preview")
struct OpusPreviewTests {
    /// Decodes with `opusdec` (opus-tools) and returns the WAV it wrote, probed.
    private func decodeWithOpusdec(_ path: String, in directory: TestDirectory, rate: Int? = nil) throws -> AudioFileInfo {
        let decoded = directory.file("decoded-\(rate ?? 0).wav")
        let arguments = ["--quiet"] + (rate.map { ["--rate", String($0)] } ?? []) + [path, decoded]
        let result = run("opusdec", arguments)
        #expect(result.status == 0, "opusdec: \(result.standardError)")
        return try AudioProbe.probe(path: decoded)
    }

    @Test("decoded length equals input length and channels are kept or folded", arguments: [
        (48_000, 1, 59_256, 1),   // 1.2345 s mono
        (48_000, 2, 96_001, 2),   // an odd length: end trimming must be exact
        (44_100, 2, 88_200, 2),   // resampled on the way in; opusdec restores the input rate
        (96_000, 1, 100_000, 1),
        (48_000, 6, 48_000, 2),   // 5.1 folds to stereo
        (48_000, 8, 24_000, 2),   // 7.1 folds to stereo
    ])
    func lengthAndChannels(rate: Int, channels: Int, frames: Int, expectedChannels: Int) throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(
            directory.file("take.wav"), format: .wavex24, sampleRate: rate,
            channels: testChannels(channels, frames: frames, bits: 24, signals: [.sine, .noise]))
        let preview = directory.file("preview.opus")
        guard case .opus(let summary) = try Transcoder.transcode(source, to: .opus, outputPath: preview) else {
            Issue.record("expected an Opus summary"); return
        }
        #expect(summary.channels == expectedChannels)
        #expect(summary.downmixed == (channels > 2))
        #expect(summary.inputFrames == Int64(frames))

        // opusdec writes the input's rate (from OpusHead) by default: the length must match exactly.
        let atInputRate = try decodeWithOpusdec(preview, in: directory)
        #expect(atInputRate.channels == expectedChannels)
        #expect(atInputRate.sampleRate == rate)
        #expect(atInputRate.frames == Int64(frames))
        // At the stream's own 48 kHz, within one sample of the rate-converted length.
        let at48k = try decodeWithOpusdec(preview, in: directory, rate: 48_000)
        let expected48k = Double(frames) * 48_000 / Double(rate)
        #expect(abs(Double(at48k.frames) - expected48k) <= 1)
    }

    @Test("OpusHead carries pre-skip, input rate and the caller's output gain; the R128 tag is written")
    func headerFields() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 44_100, channels: testChannels(2, frames: 44_100, bits: 16))
        let preview = directory.file("preview.opus")
        _ = try Transcoder.transcode(source, to: .opus, outputPath: preview,
                                     opus: OpusPreviewSettings(headerGainDB: -3.5, r128TrackGainDB: 2.25, serialNumber: 42))
        let bytes = directory.read(preview)
        let head = try #require(OpusHead(bytes))
        #expect(head.channels == 2)
        #expect(head.inputSampleRate == 44_100)
        #expect(head.preSkip > 0 && head.preSkip < 48_000 / 10)   // libopus look-ahead plus resampler delay, a few ms
        #expect(head.outputGainQ78 == -896)                        // −3.5 dB × 256
        #expect(String(decoding: bytes, as: UTF8.self).contains("R128_TRACK_GAIN=576"))  // 2.25 dB × 256
    }

    @Test("the same input and serial number give the same bytes")
    func deterministic() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000, channels: testChannels(2, frames: 30_000, bits: 16))
        let settings = OpusPreviewSettings(serialNumber: 7)
        _ = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("a.opus"), opus: settings)
        _ = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("b.opus"), opus: settings)
        #expect(directory.read(directory.file("a.opus")) == directory.read(directory.file("b.opus")))
    }

    @Test("bitrate steers the size: 64 kbps is about half of 128 kbps")
    func bitrateSteersSize() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000,
                                         channels: testChannels(2, frames: 480_000, bits: 16, signals: [.noise]))
        guard case .opus(let low) = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("64.opus"), opus: OpusPreviewSettings(bitrate: 64_000)),
              case .opus(let high) = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("128.opus"))
        else { Issue.record("expected Opus summaries"); return }
        let ratio = Double(low.bytes) / Double(high.bytes)
        #expect(ratio > 0.35 && ratio < 0.7, "64 kbps / 128 kbps size ratio \(ratio)")
        // 10 s at 128 kbps is 160 kB; VBR on noise stays within ±30 %.
        #expect(abs(Double(high.bytes) - 160_000) < 48_000, "128 kbps preview is \(high.bytes) bytes")
    }

    @Test("settings outside libopus's range are usage errors and write nothing", arguments: [
        OpusPreviewSettings(bitrate: 1_000), OpusPreviewSettings(complexity: 11), OpusPreviewSettings(headerGainDB: 200),
    ])
    func invalidSettings(settings: OpusPreviewSettings) throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000, channels: testChannels(1, frames: 100, bits: 16))
        let error = #expect(throws: CodecFailure.self) {
            try Transcoder.transcode(source, to: .opus, outputPath: directory.file("preview.opus"), opus: settings)
        }
        #expect(error?.category == .usage)
        #expect(directory.listing() == ["take.wav"])
    }
}

/// The fields of an OpusHead packet (RFC 7845 §5.1), found in the first Ogg page.
struct OpusHead {
    var channels: Int
    var preSkip: Int
    var inputSampleRate: Int
    var outputGainQ78: Int

    init?(_ bytes: [UInt8]) {
        let magic = Array("OpusHead".utf8)
        guard let start = (0..<min(bytes.count, 512) - magic.count).first(where: { Array(bytes[$0..<$0 + magic.count]) == magic }),
              bytes.count >= start + 19 else { return nil }
        func le16(_ offset: Int) -> Int { Int(bytes[start + offset]) | Int(bytes[start + offset + 1]) << 8 }
        channels = Int(bytes[start + 9])
        preSkip = le16(10)
        inputSampleRate = le16(12) | le16(14) << 16
        outputGainQ78 = Int(Int16(truncatingIfNeeded: le16(16)))
    }
}
