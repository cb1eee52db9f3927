import AudioCodecs
import AudioDSP
import AudioTestSupport
import Foundation
import Testing
import TestSupport

/// The streamed waveform file is exactly what the whole waveform would have written.
@Suite("Waveform files")
struct WaveformFileWriterTests {
    static func analyse(_ path: String, _ waveform: WaveformOptions, into output: String? = nil, layout: WaveformFileWriter.Layout = .binary) throws -> WaveformData? {
        let options = AnalysisOptions(waveform: waveform)
        guard let output else { return try FileAnalysis.analyze(path: path, options: options).waveform }
        return try FileAnalysis.analyze(path: path, options: options) { info in
            try WaveformFileWriter(path: output, layout: layout, sampleRate: info.sampleRate, samplesPerPixel: waveform.samplesPerPixel,
                                   bits: waveform.bits.rawValue, channels: waveform.splitChannels ? info.channels : 1)
        }.waveform
    }

    @Test("streamed .dat equals the whole waveform's bytes, mixed and split, 8 and 16 bits",
          arguments: [(WaveformBuilder.Bits.sixteen, false), (.eight, false), (.sixteen, true), (.eight, true)])
    func binary(bits: WaveformBuilder.Bits, split: Bool) throws {
        let directory = TestDirectory()
        let source = directory.file("take.wav")
        // Long enough for several flushes at 2 samples a pixel.
        writeWAV(source, channels: toneChannels(2, frames: 400_000, bits: 24), bits: 24)
        let options = WaveformOptions(samplesPerPixel: 2, bits: bits, splitChannels: split)
        let whole = try #require(try Self.analyse(source, options))
        #expect(try Self.analyse(source, options, into: directory.file("w.dat")) == nil)
        #expect(readBytes(directory.file("w.dat")) == whole.datBytes())
    }

    @Test("streamed .json decodes to the whole waveform")
    func json() throws {
        let directory = TestDirectory()
        let source = directory.file("take.wav")
        writeWAV(source, channels: toneChannels(1, frames: 300_001, bits: 16), bits: 16)
        let options = WaveformOptions(samplesPerPixel: 2, bits: .sixteen, splitChannels: false)
        let whole = try #require(try Self.analyse(source, options))
        _ = try Self.analyse(source, options, into: directory.file("w.json"), layout: .json)
        let decoded = try JSONDecoder().decode(WaveformData.self, from: Data(readBytes(directory.file("w.json"))))
        #expect(decoded == whole)
        #expect(decoded.length == 150_001)
    }
}
