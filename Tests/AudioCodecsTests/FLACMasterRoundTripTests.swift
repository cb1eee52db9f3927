import TestSupport
import AudioCodecs
import AudioTestSupport
import Testing

/// The master is the upload, losslessly: every integer PCM input decodes from its FLAC master to
/// the very samples that were written, at 8 to 32 bits and 1 to 8 channels.
@Suite("FLAC master round trips")
struct FLACMasterRoundTripTests {
    /// Not a multiple of the reader's block or of any FLAC block size. Even, because libsndfile
    /// 1.2.0's AIFF writer counts the pad byte of an odd-length 8-bit mono SSND as a frame.
    static let frames = 10_006

    @Test("every integer PCM container round-trips sample-exactly", arguments: TestAudioFile.Format.integerPCM, [1, 2, 8])
    func integerContainersRoundTrip(format: TestAudioFile.Format, channels: Int) throws {
        let directory = TestDirectory()
        let written = testChannels(channels, frames: Self.frames, bits: format.bits)
        let source = TestAudioFile.write(directory.file("take.\(format.extensionName)"), format: format, sampleRate: 48_000, channels: written)
        let master = directory.file("master.flac")

        let summary = try Transcoder.transcode(source, to: .flac, outputPath: master)

        guard case .flac(let flac) = summary else { Issue.record("expected a FLAC summary"); return }
        #expect(flac.frames == Int64(Self.frames))
        #expect(flac.bitsPerSample == format.bits)
        let decoded = try decodeFLAC(master)
        #expect(decoded.decoder.bitsPerSample == format.bits)
        #expect(decoded.decoder.md5 == flac.md5)
        #expect(firstDifference(decoded.channels, written) == nil)
    }

    @Test("every channel count from mono to 7.1 round-trips at 16 and 24 bit", arguments: [16, 24], 1...8)
    func channelCountsRoundTrip(bits: Int, channels: Int) throws {
        let directory = TestDirectory()
        let format = bits == 16 ? TestAudioFile.Format.wavex16 : .wavex24
        let written = testChannels(channels, frames: 4_801, bits: bits)
        let source = TestAudioFile.write(directory.file("take.wav"), format: format, sampleRate: 44_100, channels: written)
        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        #expect(firstDifference(try decodeFLAC(directory.file("master.flac")).channels, written) == nil)
    }

    @Test("sample rates across the supported range keep their rate", arguments: [8_000, 44_100, 96_000, 192_000, 384_000])
    func sampleRatesRoundTrip(rate: Int) throws {
        let directory = TestDirectory()
        let written = testChannels(2, frames: 3_000, bits: 24)
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav24, sampleRate: rate, channels: written)
        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        let decoded = try decodeFLAC(directory.file("master.flac"))
        #expect(decoded.decoder.sampleRate == rate)
        #expect(firstDifference(decoded.channels, written) == nil)
    }

    @Test("24-bit samples reach the master as integers, never through Float")
    func twentyFourBitIsExact() throws {
        let directory = TestDirectory()
        // Every 24-bit code's low bits matter: full-range noise, plus the extremes and ±1 LSB.
        var samples = TestSignal.noise.samples(frames: 20_000, bits: 24, seed: 99)
        samples += [8_388_607, -8_388_608, 1, -1, 0, 8_388_606, -8_388_607]
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav24, sampleRate: 48_000, channels: [samples])
        #expect(firstDifference(try integerSamples(source), [samples]) == nil)
        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        #expect(firstDifference(try decodeFLAC(directory.file("master.flac")).channels, [samples]) == nil)
    }

    @Test("32-bit integer PCM is stored losslessly as 32-bit FLAC, bits a Float cannot hold included")
    func thirtyTwoBitIsLossless() throws {
        let directory = TestDirectory()
        let samples = TestSignal.noise.samples(frames: 20_000, bits: 32, seed: 7) + [Int32.max, Int32.min, 1, -1, 16_777_217]
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav32, sampleRate: 48_000, channels: [samples, samples.reversed()])
        // The float view cannot represent these samples: a Float path would have lost bits.
        let floats = try decodeFloats(source)[0]
        let throughFloat = floats.map { Int64(($0 * 2_147_483_648).rounded()) }
        #expect(throughFloat != samples.map(Int64.init))

        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        let decoded = try decodeFLAC(directory.file("master.flac"))
        #expect(decoded.decoder.bitsPerSample == 32)
        #expect(firstDifference(decoded.channels, [samples, samples.reversed()]) == nil)
        // The reference tool agrees the stream is valid and its MD5 matches.
        #expect(run("flac", ["--test", "--silent", directory.file("master.flac")]).status == 0)
    }

    @Test("float and lossy uploads are refused as masters, and nothing is written", arguments: [TestAudioFile.Format.wavFloat, .wavDouble, .oggVorbis])
    func nonIntegerUploadsAreRefused(format: TestAudioFile.Format) throws {
        let directory = TestDirectory()
        let tone = (0..<4_800).map { Float(sin(Double($0) * 0.05) * 0.5) }
        let source = TestAudioFile.write(directory.file("take.\(format.extensionName)"), format: format, sampleRate: 48_000, floatChannels: [tone])
        #expect(throws: UploadRejected.self) {
            try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        }
        #expect(directory.listing() == ["take.\(format.extensionName)"])
    }

    @Test("probe metadata travels into the master's Vorbis comments")
    func metadataBecomesVorbisComments() throws {
        let directory = TestDirectory()
        let source = directory.file("take.wav")
        BroadcastTestFile.write(source)
        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"))
        let tags = run("metaflac", ["--export-tags-to=-", directory.file("master.flac")]).standardOutput
        #expect(tags.contains("BWF_DESCRIPTION=Lead vocal, take 3"))
        #expect(tags.contains("BWF_TIME_REFERENCE=172800000"))
        #expect(tags.contains("CUE_POINT=24000 chorus"))
        #expect(tags.contains("TITLE=Night Drive"))
        #expect(tags.contains("SOURCE_FORMAT=wav/pcm_24"))
    }

    @Test("compression levels change size, never samples", arguments: [0, 8])
    func compressionLevelsAreLossless(level: Int) throws {
        let directory = TestDirectory()
        let written = testChannels(2, frames: 9_000, bits: 16)
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000, channels: written)
        _ = try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"), flac: FLACSettings(compressionLevel: level))
        #expect(firstDifference(try decodeFLAC(directory.file("master.flac")).channels, written) == nil)
    }

    @Test("a compression level outside 0–8 is a usage error")
    func invalidLevelIsRefused() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("take.wav"), format: .wav16, sampleRate: 48_000, channels: testChannels(1, frames: 100, bits: 16))
        let error = #expect(throws: CodecFailure.self) {
            try Transcoder.transcode(source, to: .flac, outputPath: directory.file("master.flac"), flac: FLACSettings(compressionLevel: 9))
        }
        #expect(error?.category == .usage)
        #expect(!directory.exists(directory.file("master.flac")))
    }
}

#if canImport(Glibc)
import Glibc
#endif
