@testable import AudioCodecs
import AudioDSP
import Testing
import TestSupport

/// Files crafted to break the header check and the analysis (Tests/Fixtures/hostile/README.md):
/// each gets a typed rejection, in-process, without trapping and without an allocation sized by
/// what the file declares.
@Suite("Hostile files", .timeLimit(.minutes(5)))
struct HostileFileTests {
    static func fixture(_ name: String) -> String { RepositoryPaths.root + "/Tests/Fixtures/hostile/" + name }

    /// The reason code reading `path` to the end gives, or `nil` when it reads cleanly.
    static func rejection(_ path: String, waveformZoom: Int? = nil) -> String? {
        do {
            let options = AnalysisOptions(waveform: waveformZoom.map { WaveformOptions(samplesPerPixel: $0) })
            _ = try FileAnalysis.analyze(path: path, options: options)
            return nil
        } catch let error as UploadRejected {
            return error.code
        } catch {
            return "not an upload rejection: \(error)"
        }
    }

    @Test("an RF64 whose ds64 RIFF size is 2⁶⁴−1 is read without overflow (the size only earns a warning)")
    func rf64RIFFSizeAtMaximum() throws {
        let bytes = readBytes(Self.fixture("rf64-riff-size-max.wav"))
        #expect(try ContainerHeaderCheck.check(MemoryBytes(bytes: bytes)).warnings == ["riff_size_mismatch"])
        let code = Self.rejection(Self.fixture("rf64-riff-size-max.wav"))
        #expect(code == nil || code?.hasPrefix("not") == false, "\(code ?? "")")
    }

    @Test("an RF64 whose ds64 data size is 2⁶⁴−1 with 1-byte frames is truncated_data, its frame count clamped")
    func rf64DataSizeAtMaximum() {
        let bytes = readBytes(Self.fixture("rf64-data-size-max.wav"))
        #expect(throws: UploadRejected.truncatedData(expectedFrames: .max, presentFrames: 40)) {
            try ContainerHeaderCheck.check(MemoryBytes(bytes: bytes))
        }
        #expect(Self.rejection(Self.fixture("rf64-data-size-max.wav")) == "truncated_data")
    }

    @Test("a FLAC declaring 2³⁶−1 samples is truncated_data, also with a 2-sample waveform zoom")
    func flacDeclaringHours() {
        #expect(Self.rejection(Self.fixture("flac-declares-2e36-samples.flac")) == "truncated_data")
        #expect(Self.rejection(Self.fixture("flac-declares-2e36-samples.flac"), waveformZoom: 2) == "truncated_data")
    }

    @Test("a waveform reserves at most its cap, whatever length it is promised, and still grows with the audio")
    func waveformReservationIsCapped() {
        var builder = WaveformBuilder(sampleRate: 48_000, channels: 1, samplesPerPixel: 2, expectedFrames: .max)
        let samples = [Float](repeating: 0.5, count: 4_096)
        samples.withUnsafeBufferPointer { buffer in
            let channels = [buffer.baseAddress!]
            channels.withUnsafeBufferPointer { builder.process($0, frames: buffer.count) }
        }
        #expect(builder.pendingValues == 4_096, "2 048 pixels of (min, max)")
        #expect(builder.pendingValues <= WaveformBuilder.maximumReservedValues)
        _ = WaveformBuilder(sampleRate: 48_000, channels: 64, samplesPerPixel: 2, splitChannels: true, expectedFrames: -5)
    }

    @Test("walking chunk headers never trusts a size: every truncation of a valid file and every size field at its extremes")
    func headerWalkerOverSizeExtremes() throws {
        let wav = BrokenFiles.pcm16(frames: 64, channels: 2)
        for length in 0...wav.count {
            _ = try? ContainerHeaderCheck.check(MemoryBytes(bytes: Array(wav.prefix(length))))
        }
        // Every 4-byte field of the header set to 0, 1, 0x7FFFFFFF, 0xFFFFFFFF.
        for offset in stride(from: 4, to: 44, by: 4) {
            for value: UInt32 in [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF] {
                var bytes = wav
                withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
                _ = try? ContainerHeaderCheck.check(MemoryBytes(bytes: bytes))
            }
        }
    }
}
