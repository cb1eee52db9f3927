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
        guard case .opus(let report) = try Transcoder.transcode(source, to: .opus, outputPath: preview) else {
            Issue.record("expected an Opus summary"); return
        }
        let summary = report.opus
        // The preview chain resamples to 48 kHz itself: ⌈frames · 48000 / rate⌉ frames reach Opus.
        let expected48k = Int64((frames * 48_000 + rate - 1) / rate)
        #expect(summary.channels == expectedChannels)
        #expect(summary.downmixed == (channels > 2))
        #expect(summary.inputSampleRate == 48_000)
        #expect(summary.inputFrames == expected48k)

        // opusdec decodes at the rate OpusHead names (48 kHz): pre-skip and end trimming must give
        // exactly the encoded length.
        let decoded = try decodeWithOpusdec(preview, in: directory)
        #expect(decoded.channels == expectedChannels)
        #expect(decoded.sampleRate == 48_000)
        #expect(decoded.frames == expected48k)
    }

    @Test("OpusHead carries pre-skip, input rate and the caller's output gain; the R128 tag is written")
    func headerFields() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 44_100, channels: testChannels(2, frames: 44_100, bits: 16))
        let preview = directory.file("preview.opus")
        _ = try Transcoder.transcode(source, to: .opus, outputPath: preview, preview: PreviewSettings(
            normalize: false, opus: OpusPreviewSettings(headerGainDB: -3.5, r128TrackGainDB: 2.25, serialNumber: 42)))
        let bytes = directory.read(preview)
        let head = try #require(OpusHead(bytes))
        #expect(head.channels == 2)
        #expect(head.inputSampleRate == 48_000)                    // the preview chain resampled it
        #expect(head.preSkip == 312)                               // libopus's 6.5 ms look-ahead at 48 kHz
        #expect(head.outputGainQ78 == -896)                        // −3.5 dB × 256
        #expect(String(decoding: bytes, as: UTF8.self).contains("R128_TRACK_GAIN=576"))  // 2.25 dB × 256
    }

    @Test("the same input and serial number give the same bytes")
    func deterministic() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000, channels: testChannels(2, frames: 30_000, bits: 16))
        let settings = PreviewSettings(opus: OpusPreviewSettings(serialNumber: 7))
        _ = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("a.opus"), preview: settings)
        _ = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("b.opus"), preview: settings)
        #expect(directory.read(directory.file("a.opus")) == directory.read(directory.file("b.opus")))
    }

    @Test("bitrate steers the size: 64 kbps is about half of 128 kbps")
    func bitrateSteersSize() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000,
                                         channels: testChannels(2, frames: 480_000, bits: 16, signals: [.noise]))
        guard case .opus(let lowReport) = try Transcoder.transcode(
                source, to: .opus, outputPath: directory.file("64.opus"), preview: PreviewSettings(normalize: false, opus: OpusPreviewSettings(bitrate: 64_000))),
              case .opus(let highReport) = try Transcoder.transcode(source, to: .opus, outputPath: directory.file("128.opus"), preview: PreviewSettings(normalize: false))
        else { Issue.record("expected Opus summaries"); return }
        let (low, high) = (lowReport.opus, highReport.opus)
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
            try Transcoder.transcode(source, to: .opus, outputPath: directory.file("preview.opus"), preview: PreviewSettings(opus: settings))
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
