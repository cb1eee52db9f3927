import AudioTestSupport
import Foundation
import Testing
import TestSupport

/// `takevault transcode`: writes one artefact, reports it, and fails with the contract's codes.
@Suite("takevault transcode")
struct TranscodeCommandTests {
    @Test("a FLAC master is written, reported with its MD5, and passes flac --test")
    func flacMaster() throws {
        let directory = TestDirectory()
        let output = directory.file("guitar.flac")
        let result = CLI.run("transcode", CLI.samples + "/guitar-44k16-stereo.wav", "--to", "flac", "-o", output, "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(CLI.json(result) as? [String: Any])
        #expect(object["codec"] as? String == "flac")
        let flac = try #require(object["flac"] as? [String: Any])
        #expect(flac["frames"] as? Int == 220_500)
        // The reported MD5 is the one in STREAMINFO (read by metaflac), and flac --test checks that
        // against the decoded audio.
        let md5 = try #require(flac["md5"] as? String)
        #expect(run("metaflac", ["--show-md5sum", output]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == md5)
        #expect(run("flac", ["--test", "--silent", output]).status == 0)
    }

    @Test("an Opus preview is written with the requested bitrate and target, and reports its level")
    func opusPreview() throws {
        let directory = TestDirectory()
        let output = directory.file("keys.opus")
        let result = CLI.run("transcode", CLI.samples + "/keys-48k24-stereo.wav", "--to", "opus", "-o", output, "--opus-bitrate", "96000", "--target-lufs", "-14", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(CLI.json(result) as? [String: Any])
        let preview = try #require(object["preview"] as? [String: Any])
        for key in ["gain_db", "limiter_engaged", "integrated_lufs", "true_peak_dbtp"] { #expect(preview[key] != nil, "missing \(key)") }
        #expect(abs((preview["integrated_lufs"] as? Double ?? 0) + 14) <= 0.5)
        #expect((preview["true_peak_dbtp"] as? Double ?? 0) <= -1)
        // The promise, measured by opusdec + libebur128 rather than by what takevault reports.
        let independent = try IndependentMeter.measureOpus(output, scratch: directory)
        #expect(abs(independent.integratedLUFS + 14) <= 0.5, "libebur128: \(independent.integratedLUFS) LUFS")
        #expect(independent.truePeakDBTP <= -1 + 0.05, "libebur128: \(independent.truePeakDBTP) dBTP")
        #expect(abs((preview["integrated_lufs"] as? Double ?? 0) - independent.integratedLUFS) <= 0.1, "the report agrees with the reference")
        #expect(((preview["opus"] as? [String: Any])?["settings"] as? [String: Any])?["bitrate"] as? Int == 96_000)
        #expect(run("opusinfo", [output]).standardOutput.contains("Channels: 2"))
    }

    @Test("a float upload cannot become a FLAC master: exit 3, its reason, no output")
    func floatRefused() throws {
        let directory = TestDirectory()
        let output = directory.file("pad.flac")
        let result = CLI.run("transcode", CLI.samples + "/pad-48k-float32-mono.wav", "--to", "flac", "-o", output, "--json")
        #expect(result.status == 3)
        let object = try #require(CLI.json(result) as? [String: Any])
        #expect((object["error"] as? [String: Any])?["code"] as? String == "master_needs_integer_pcm")
        #expect(directory.listing().isEmpty)
    }

    @Test("settings out of range are usage errors (exit 2)", arguments: [
        ["--to", "flac", "--flac-level", "12"], ["--to", "opus", "--opus-complexity", "11"], ["--to", "mp3"],
        ["--to", "opus", "--target-lufs", "-80"], ["--to", "opus", "--ceiling-dbtp", "3"],
    ])
    func invalidSettings(options: [String]) {
        let directory = TestDirectory()
        let result = TestSupport.run(CLI.binary, ["transcode", CLI.samples + "/keys-48k24-stereo.wav", "-o", directory.file("out")] + options)
        #expect(result.status == 2, "\(options): \(result.standardError)")
        #expect(directory.listing().isEmpty)
    }
}
