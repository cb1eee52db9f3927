import AudioCodecs
import AudioDSP
import AudioTestSupport
import CEbur128
import Testing
import TestSupport

/// The preview chain, judged by an independent meter: each preview is decoded by `opusdec` and
/// measured by libebur128. Integrated loudness must be the target ±0.5 LU and the true peak at
/// or below the ceiling.
@Suite("Preview chain")
struct PreviewChainTests {
    /// Renders, decodes with opusdec, measures with libebur128, and checks the promise.
    func check(_ source: String, settings: PreviewSettings = PreviewSettings(), in directory: TestDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws -> PreviewReport {
        let preview = directory.file("preview.opus")
        let report = try PreviewChain.render(sourcePath: source, outputPath: preview, settings: settings)
        let decoded = directory.file("decoded.wav")
        #expect(run("opusdec", ["--quiet", "--float", preview, decoded]).status == 0, sourceLocation: sourceLocation)
        let measured = try IndependentMeter.measure(decoded)
        #expect(abs(measured.integratedLUFS - settings.targetLUFS) <= 0.5, "libebur128: \(measured.integratedLUFS) LUFS for target \(settings.targetLUFS)", sourceLocation: sourceLocation)
        #expect(measured.truePeakDBTP <= settings.ceilingDBTP + 0.05, "libebur128: \(measured.truePeakDBTP) dBTP for ceiling \(settings.ceilingDBTP)", sourceLocation: sourceLocation)
        // Our own report of the decoded preview agrees with the reference meter.
        #expect(abs((report.integratedLUFS ?? 0) - measured.integratedLUFS) <= 0.1, sourceLocation: sourceLocation)
        return report
    }

    /// A take of `seconds` at `rate` with programme-like level changes, peaking at `peakDBFS`.
    static func take(_ path: String, rate: Int = 48_000, channels: Int = 2, seconds: Double = 12, peakDBFS: Double = -1, crest: Double = 0) -> String {
        var generator = SplitMix64(seed: UInt64(rate + channels))
        let frames = Int(seconds * Double(rate))
        var planar = [[Float]](repeating: [Float](repeating: 0, count: frames), count: channels)
        for n in 0..<frames {
            let t = Double(n) / Double(rate)
            let section = 0.4 + 0.6 * (0.5 + 0.5 * sin(2 * Double.pi * t / 5))
            let chord = (sin(2 * Double.pi * 196 * t) + sin(2 * Double.pi * 247 * t) + sin(2 * Double.pi * 294 * t)) / 3
            // Percussive hits every half second: the crest factor that makes limiting necessary.
            let hit = n % (rate / 2) < rate / 100 ? crest * exp(-Double(n % (rate / 2)) / Double(rate / 400)) : 0
            for c in 0..<channels {
                let noise = Double(Float.random(in: -1...1, using: &generator)) * 0.05
                planar[c][n] = Float(section * chord * 0.3 + noise + hit * (c % 2 == 0 ? 1 : -0.8))
            }
        }
        let peak = planar.flatMap { $0 }.map { abs($0) }.max()!
        let scale = Float(pow(10, peakDBFS / 20)) / peak
        TestAudioFile.write(path, format: .wavFloat, sampleRate: rate, floatChannels: planar.map { $0.map { $0 * scale } })
        return path
    }

    @Test("a quiet take is raised to −16 LUFS with linear gain alone")
    func quietTakeLinearGain() throws {
        let directory = TestDirectory()
        let source = Self.take(directory.file("quiet.wav"), peakDBFS: -20)
        let report = try check(source, in: directory)
        #expect(report.gainDB > 5)
        #expect(!report.limiterEngaged)
    }

    @Test("a loud take is lowered to −16 LUFS")
    func loudTakeLowered() throws {
        let directory = TestDirectory()
        let report = try check(Self.take(directory.file("loud.wav"), peakDBFS: -0.1), in: directory)
        #expect(report.gainDB < 0)
        #expect(!report.limiterEngaged)
    }

    @Test("a peaky take needs the limiter: the report says so and by how much", arguments: [44_100, 96_000])
    func peakyTakeLimited(rate: Int) throws {
        let directory = TestDirectory()
        let source = Self.take(directory.file("peaky.wav"), rate: rate, peakDBFS: -12, crest: 6)
        let report = try check(source, in: directory)
        #expect(report.limiterEngaged)
        #expect(report.limiterMaxReductionDB > 1)
    }

    @Test("other targets and ceilings: −14 LUFS / −1 dBTP, −23 LUFS / −2 dBTP", arguments: [(-14.0, -1.0), (-23.0, -2.0)])
    func otherTargets(target: Double, ceiling: Double) throws {
        let directory = TestDirectory()
        let source = Self.take(directory.file("take.wav"), rate: 44_100, peakDBFS: -6, crest: 3)
        _ = try check(source, settings: PreviewSettings(targetLUFS: target, ceilingDBTP: ceiling), in: directory)
    }

    @Test("mono and 5.1 takes: the folded stereo preview is on target too", arguments: [1, 6])
    func channelLayouts(channels: Int) throws {
        let directory = TestDirectory()
        let report = try check(Self.take(directory.file("take.wav"), channels: channels, peakDBFS: -10), in: directory)
        #expect(report.opus.channels == min(channels, 2))
    }

    @Test("silence is encoded as it is: no gain, no loudness")
    func silence() throws {
        let directory = TestDirectory()
        let source = TestAudioFile.write(directory.file("silence.wav"), format: .wav16, sampleRate: 48_000, channels: [[Int32](repeating: 0, count: 48_000)])
        let report = try PreviewChain.render(sourcePath: source, outputPath: directory.file("p.opus"))
        #expect(report.gainDB == 0)
        #expect(report.integratedLUFS == nil)
    }
}

#if canImport(Glibc)
import Glibc
#endif
