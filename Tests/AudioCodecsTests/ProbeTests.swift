import TestSupport
import AudioCodecs
import Testing

/// Probe reads headers: format, layout and the metadata worth keeping, without decoding.
@Suite("Probe")
struct ProbeTests {
    @Test("Broadcast Wave metadata is read: bext, cue markers, loop and title")
    func broadcastWaveMetadata() throws {
        let directory = TestDirectory()
        let path = directory.file("take.wav")
        BroadcastTestFile.write(path)
        let info = try AudioProbe.probe(path: path)
        #expect(info.format == "wav")
        #expect(info.subtype == "pcm_24")
        #expect(info.sampleRate == 48_000)
        #expect(info.channels == 2)
        #expect(info.frames == Int64(BroadcastTestFile.frames))
        #expect(info.durationS == 1.0)
        #expect(info.sampleKind == .integer)
        #expect(info.bitsPerSample == 24)
        let bext = try #require(info.metadata.broadcast)
        #expect(bext.description == BroadcastTestFile.description)
        #expect(bext.originator == BroadcastTestFile.originator)
        #expect(bext.originationDate == "2026-11-29")
        #expect(bext.timeReference == BroadcastTestFile.timeReference)
        #expect(info.metadata.cueMarkers.map(\.frame) == BroadcastTestFile.cues.map { Int64($0.frame) })
        #expect(info.metadata.cueMarkers.map(\.label) == BroadcastTestFile.cues.map(\.label))
        #expect(info.metadata.loops == [LoopRegion(mode: .forward, startFrame: 12_000, endFrame: 24_000, playCount: 0)])
        #expect(info.metadata.strings["title"] == "Night Drive")
        #expect(info.warnings.isEmpty)
    }

    @Test("a WAVE_FORMAT_EXTENSIBLE 5.1 file states its layout; a plain WAV gets the default one")
    func channelLayouts() throws {
        let directory = TestDirectory()
        let surround = TestAudioFile.write(directory.file("surround.wav"), format: .wavex24, sampleRate: 48_000, channels: testChannels(6, frames: 100, bits: 24))
        let info = try AudioProbe.probe(path: surround)
        #expect(info.format == "wavex")
        #expect(info.channelLayout == [.left, .right, .center, .lfe, .backLeft, .backRight])
        #expect(info.channelLayoutStated)

        let plain = TestAudioFile.write(directory.file("plain.wav"), format: .wav16, sampleRate: 48_000, channels: testChannels(2, frames: 100, bits: 16))
        let plainInfo = try AudioProbe.probe(path: plain)
        #expect(plainInfo.channelLayout == [.left, .right])
        #expect(!plainInfo.channelLayoutStated)
    }

    @Test("probe names each container and encoding", arguments: [
        (TestAudioFile.Format.wav16, "wav", "pcm_16", SampleKind.integer),
        (.rf64_24, "rf64", "pcm_24", .integer),
        (.aiff24, "aiff", "pcm_24", .integer),
        (.flac24, "flac", "pcm_24", .integer),
        (.wavFloat, "wav", "float", .float),
        (.wavDouble, "wav", "double", .float),
        (.oggVorbis, "ogg", "vorbis", .lossy),
        (.oggOpus, "ogg", "opus", .lossy),
    ])
    func formatNames(format: TestAudioFile.Format, container: String, subtype: String, kind: SampleKind) throws {
        let directory = TestDirectory()
        let path = directory.file("take.\(format.extensionName)")
        if format.bits == 0 || subtype == "float" || subtype == "double" {
            let tone = (0..<48_000).map { Float(sin(Double($0) * 0.05) * 0.5) }
            TestAudioFile.write(path, format: format, sampleRate: 48_000, floatChannels: [tone, tone])
        } else {
            TestAudioFile.write(path, format: format, sampleRate: 48_000, channels: testChannels(2, frames: 48_000, bits: format.bits))
        }
        let info = try AudioProbe.probe(path: path)
        #expect(info.format == container)
        #expect(info.subtype == subtype)
        #expect(info.sampleKind == kind)
        #expect(info.channels == 2)
    }
}

#if canImport(Glibc)
import Glibc
#endif
