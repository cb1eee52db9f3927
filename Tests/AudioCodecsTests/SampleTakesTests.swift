import TestSupport
import AudioCodecs
import AudioTestSupport
import Testing

/// The shipped sample takes: probe agrees with SoX's `soxi`, and each yields its artefacts.
@Suite("Sample takes")
struct SampleTakesTests {
    static let samplesDirectory = RepositoryPaths.samples

    static let sampleNames: [String] = {
        let listing = run("/bin/ls", [samplesDirectory]).standardOutput.split(separator: "\n").map(String.init)
        return listing.filter { name in ["wav", "flac", "ogg", "opus", "aiff"].contains(where: { name.hasSuffix("." + $0) }) }
    }()

    @Test("there are samples of every kind the README promises")
    func samplesExist() throws {
        #expect(Self.sampleNames.count >= 6)
        let infos = try Self.sampleNames.map { try AudioProbe.probe(path: Self.samplesDirectory + "/" + $0) }
        #expect(infos.contains { $0.channels == 1 })
        #expect(infos.contains { $0.sampleRate == 44_100 && $0.bitsPerSample == 16 && $0.channels == 2 })
        #expect(infos.contains { $0.sampleRate == 48_000 && $0.bitsPerSample == 24 })
        #expect(infos.contains { $0.subtype == "float" })
        #expect(infos.contains { $0.format == "flac" })
        #expect(infos.contains { $0.format == "ogg" })
    }

    @Test("probe agrees with soxi on rate, channels and frames", arguments: sampleNames)
    func probeAgreesWithSoxi(name: String) throws {
        let path = Self.samplesDirectory + "/" + name
        let info = try AudioProbe.probe(path: path)
        func soxi(_ flag: String) -> Int64? { Int64(run("soxi", [flag, path]).standardOutput.filter(\.isNumber)) }
        #expect(soxi("-r") == Int64(info.sampleRate))
        #expect(soxi("-c") == Int64(info.channels))
        #expect(soxi("-s") == info.frames)
    }

    @Test("every sample gives an Opus preview, and every integer one a verified FLAC master", arguments: sampleNames)
    func artefacts(name: String) throws {
        let directory = TestDirectory()
        let path = Self.samplesDirectory + "/" + name
        let info = try AudioProbe.probe(path: path)
        _ = try Transcoder.transcode(path, to: .opus, outputPath: directory.file("preview.opus"))
        #expect(directory.exists(directory.file("preview.opus")))
        if info.sampleKind == .integer {
            _ = try Transcoder.transcode(path, to: .flac, outputPath: directory.file("master.flac"))
            let master = try decodeFLAC(directory.file("master.flac"))
            #expect(firstDifference(master.channels, try integerSamples(path)) == nil)
        }
    }
}
