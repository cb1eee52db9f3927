@testable import AudioCodecs
import AudioTestSupport
import Testing
import TestSupport

/// The upload sniffer on real files: every container libsndfile reads is recognised from its first
/// bytes, and the durations headers declare match what libsndfile measures.
@Suite("upload sniffing")
struct AudioSnifferTests {
    /// 2.5 s of 48 kHz stereo 24-bit in `directory`, the source every conversion starts from.
    static func source(in directory: TestDirectory) -> String {
        let path = directory.file("source.wav")
        writeWAV(path, channels: toneChannels(2, frames: 120_000, bits: 24), bits: 24)
        return path
    }

    static func head(_ path: String) -> [UInt8] { Array(readBytes(path).prefix(AudioSniffer.headerWindow)) }

    @Test("containers by their first bytes", arguments: [
        ("wav", AudioSniffer.Format.wav), ("aiff", .aiff), ("aifc", .aiff), ("flac", .flac), ("ogg", .ogg), ("caf", .caf), ("au", .au),
        ("w64", .wave64), ("rf64", .rf64), ("mp3", .mp3),
    ])
    func containers(extension: String, format: AudioSniffer.Format) throws {
        let directory = TestDirectory()
        let source = Self.source(in: directory)
        let output = directory.file("converted.\(`extension`)")
        if `extension` == "rf64" {
            writeBytes(output, Self.rf64(fromWAV: readBytes(source)))
        } else {
            let converted = run("sox", [source, output])
            try #require(converted.status == 0, "\(converted.standardError)")
        }
        let head = Self.head(output)
        #expect(AudioSniffer.format(of: head) == format)
        let probed = try AudioProbe.probe(path: output).durationS
        #expect(abs(probed - 2.5) < 0.06, "libsndfile reads the converted file")
        if let declared = AudioSniffer.declaredDuration(of: head, format: format) {
            #expect(abs(declared - probed) < 0.001, "\(`extension`): header says \(declared) s, libsndfile \(probed) s")
        } else {
            #expect(![.wav, .aiff, .flac].contains(format), "\(`extension`) should declare its duration")
        }
    }

    /// The same audio as RF64 (EBU Tech 3306): `RF64`, a `ds64` chunk with the 64-bit sizes, and
    /// 32-bit size fields set to 0xFFFFFFFF. sox does not write it.
    static func rf64(fromWAV wav: [UInt8]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        // The plain WAV written by writeWAV: fmt at 12 (24 bytes), data at 36.
        let format = Array(wav[12..<36])
        let data = Array(wav[44...])
        let blockAlign = UInt64(wav[32]) | UInt64(wav[33]) << 8
        let ds64 = Array("ds64".utf8) + le32(28) + le64(UInt64(4 + 36 + format.count + 8 + data.count)) + le64(UInt64(data.count))
            + le64(UInt64(data.count) / blockAlign) + le32(0)
        return Array("RF64".utf8) + le32(0xffff_ffff) + Array("WAVE".utf8) + ds64 + format + Array("data".utf8) + le32(0xffff_ffff) + data
    }

    @Test("what is not audio is not recognised")
    func notAudio() {
        let samples: [[UInt8]] = [
            [], Array("RIFF".utf8), Array("RIFF\0\0\0\0AVI LIST".utf8), Array("%PDF-1.7\n%âãÏÓ".utf8), Array("PK\u{3}\u{4}0000000000".utf8),
            Array("<!DOCTYPE html><html>".utf8), [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1], Array(repeating: 0, count: 64),
        ]
        for bytes in samples { #expect(AudioSniffer.format(of: bytes) == nil, "\(bytes.prefix(12))") }
    }

    @Test("a truncated header declares nothing rather than something wrong")
    func truncatedHeaders() throws {
        let directory = TestDirectory()
        let source = Self.source(in: directory)
        let flac = directory.file("t.flac")
        try #require(run("sox", [source, flac]).status == 0)
        let head = Self.head(flac)
        #expect(AudioSniffer.declaredDuration(of: Array(head.prefix(20)), format: .flac) == nil)
        let wav = Self.head(source)
        #expect(AudioSniffer.declaredDuration(of: Array(wav.prefix(30)), format: .wav) == nil)
        #expect(abs((AudioSniffer.declaredDuration(of: Array(wav.prefix(44)), format: .wav) ?? 0) - 2.5) < 1e-9)
    }
}
