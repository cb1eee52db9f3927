import TestSupport
import AudioCodecs
import Testing

/// Broken uploads get a reason code, never a crash, a hang or a partial artefact.
///
/// Each file is read all the way through (probe, then every block), as ingest would; the first
/// rejection is the verdict. A one-minute limit per test turns a hang into a failure.
@Suite("Bad input", .timeLimit(.minutes(5)))
struct BadInputTests {
    /// What reading `path` to the end throws, as a reason code; `nil` when it reads cleanly.
    func rejection(_ path: String) -> String? {
        do {
            let reader = try AudioFileReader(path: path)
            let block = reader.makeBlock()
            while try reader.read(into: block) > 0 {}
            return nil
        } catch let error as UploadRejected {
            return error.code
        } catch {
            return "not an upload rejection: \(error)"
        }
    }

    /// Writes `bytes` as `name`, checks its rejection code, and checks a transcode leaves nothing.
    func expectRejected(_ name: String, _ bytes: [UInt8], code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let directory = TestDirectory()
        let path = directory.write(name, bytes: bytes)
        #expect(rejection(path) == code, sourceLocation: sourceLocation)
        for target in TranscodeTarget.allCases {
            #expect(throws: UploadRejected.self, sourceLocation: sourceLocation) {
                try Transcoder.transcode(path, to: target, outputPath: directory.file("out.\(target.rawValue)"))
            }
        }
        #expect(directory.listing() == [name], "a failed transcode left files behind", sourceLocation: sourceLocation)
        #expect(readBytes(path) == bytes, "the upload was modified", sourceLocation: sourceLocation)
    }

    static let audio = BrokenFiles.pcm16(frames: 4_800, channels: 2)

    @Test func emptyFile() { expectRejected("empty.wav", [], code: "empty_file") }

    @Test func textFileNamedWav() {
        expectRejected("notes.wav", Array("Take 3 was the keeper, use that one.\n".utf8), code: "unsupported_format")
    }

    @Test func garbageBytes() {
        var generator = SplitMix64(seed: 3)
        expectRejected("garbage.wav", (0..<8_192).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, code: "unsupported_format")
    }

    @Test func headerCutInsideFmt() {
        expectRejected("cut-header.wav", Array(BrokenFiles.wav(audio: Self.audio).prefix(30)), code: "malformed_header")
    }

    @Test func dataCutShort() {
        let whole = BrokenFiles.wav(audio: Self.audio)
        expectRejected("cut-data.wav", Array(whole.prefix(whole.count * 3 / 5)), code: "truncated_data")
    }

    @Test func chunkClaimsMoreThanTheFile() {
        let bogus = Array("LIST".utf8) + BrokenFiles.le32(10_000_000) + Array("INFO".utf8)
        expectRejected("lying-chunk.wav", BrokenFiles.wav(audio: Self.audio, chunksBeforeData: bogus), code: "header_length_mismatch")
    }

    @Test func unfinalisedDataSize() {
        expectRejected("unfinalised.wav", BrokenFiles.wav(audio: Self.audio, dataSize: 0xFFFF_FFFF), code: "header_length_mismatch")
    }

    @Test func zeroDataSizeWithAudioAfter() {
        expectRejected("zero-size.wav", BrokenFiles.wav(audio: Self.audio, dataSize: 0), code: "header_length_mismatch")
    }

    @Test func zeroChannels() {
        expectRejected("no-channels.wav", BrokenFiles.wav(channels: 0, blockAlign: 2, audio: Self.audio), code: "channel_count_out_of_range")
    }

    @Test func tooManyChannels() {
        expectRejected("twelve.wav", BrokenFiles.wav(channels: 12, audio: BrokenFiles.pcm16(frames: 100, channels: 12)), code: "channel_count_out_of_range")
    }

    @Test(arguments: [UInt32(0), 1_000, 4_000_000_000])
    func absurdSampleRate(rate: UInt32) {
        expectRejected("rate-\(rate).wav", BrokenFiles.wav(sampleRate: rate, audio: Self.audio), code: "sample_rate_out_of_range")
    }

    @Test func zeroBlockAlign() {
        expectRejected("align.wav", BrokenFiles.wav(blockAlign: 0, audio: Self.audio), code: "malformed_header")
    }

    @Test func noAudioFrames() {
        expectRejected("silent-header.wav", BrokenFiles.wav(audio: []), code: "no_audio_frames")
    }

    @Test func unsupportedWaveEncoding() {
        // Format tag 0x2000 (Dolby AC-3 in WAV): a real tag libsndfile does not decode.
        expectRejected("ac3.wav", BrokenFiles.wav(formatTag: 0x2000, audio: Self.audio), code: "unsupported_encoding")
    }

    @Test func aiffFrameCountLies() {
        expectRejected("lying.aiff", BrokenFiles.aiff(declaredFrames: 10_000, audio: BrokenFiles.pcm16(frames: 4_000, channels: 1)), code: "header_length_mismatch")
    }

    @Test func aiffSoundDataCutShort() {
        let whole = BrokenFiles.aiff(declaredFrames: 4_000, audio: BrokenFiles.pcm16(frames: 4_000, channels: 1))
        expectRejected("cut.aiff", Array(whole.prefix(whole.count / 2)), code: "truncated_data")
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteFloatSamples(poison: Float) throws {
        let directory = TestDirectory()
        var right = (0..<10_000).map { Float(sin(Double($0) * 0.01) * 0.5) }
        right[6_789] = poison
        let path = TestAudioFile.write(directory.file("float.wav"), format: .wavFloat, sampleRate: 48_000, floatChannels: [right.map { $0.isFinite ? $0 : 0 }, right])
        let reader = try AudioFileReader(path: path)
        let block = reader.makeBlock()
        #expect(throws: UploadRejected.nonFiniteSamples(frame: 6_789, channel: 1)) {
            while try reader.read(into: block) > 0 {}
        }
        #expect(throws: UploadRejected.self) { try Transcoder.transcode(path, to: .opus, outputPath: directory.file("p.opus")) }
        #expect(!directory.exists(directory.file("p.opus")))
    }

    /// A FLAC stream has no chunk size to compare: libFLAC loses sync where the file ends, so a cut
    /// FLAC is reported as corrupt data, with the frame where decoding stopped.
    @Test func flacCutShort() throws {
        let directory = TestDirectory()
        let path = TestAudioFile.write(directory.file("take.flac"), format: .flac16, sampleRate: 48_000, channels: testChannels(2, frames: 96_000, bits: 16))
        let whole = readBytes(path)
        expectRejected("cut.flac", Array(whole.prefix(whole.count / 2)), code: "corrupt_data")
    }

    @Test func flacWithCorruptFrames() throws {
        let directory = TestDirectory()
        let path = TestAudioFile.write(directory.file("take.flac"), format: .flac16, sampleRate: 48_000, channels: testChannels(2, frames: 96_000, bits: 16, signals: [.noise]))
        var bytes = readBytes(path)
        var generator = SplitMix64(seed: 11)
        for index in (bytes.count / 3)..<(bytes.count / 3 + 4_096) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        let code = rejection(directory.write("corrupt.flac", bytes: bytes))
        #expect(code == "corrupt_data" || code == "truncated_data", "got \(code ?? "no rejection")")
    }
}

#if canImport(Glibc)
import Glibc
#endif
