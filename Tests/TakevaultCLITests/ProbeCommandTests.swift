import AudioTestSupport
import Foundation
import Testing
import TestSupport

/// `takevault probe`: the JSON contract and the exit codes operators script against.
@Suite("takevault probe")
struct ProbeCommandTests {
    @Test("one file prints one object with the contract's keys")
    func singleFileJSON() throws {
        let result = CLI.run("probe", "--json", CLI.samples + "/keys-48k24-stereo.wav")
        #expect(result.status == 0)
        let object = try #require(CLI.json(result) as? [String: Any])
        #expect(object["file"] as? String == CLI.samples + "/keys-48k24-stereo.wav")
        #expect(object["format"] as? String == "wav")
        #expect(object["subtype"] as? String == "pcm_24")
        #expect(object["sample_rate"] as? Int == 48_000)
        #expect(object["channels"] as? Int == 2)
        #expect(object["frames"] as? Int == 144_000)
        #expect(object["duration_s"] as? Double == 3.0)
    }

    @Test("several files print an array, one object each with file; a bad one carries its error and sets exit 3")
    func severalFilesJSON() throws {
        let directory = TestDirectory()
        let bad = directory.write("notes.wav", bytes: Array("not audio at all".utf8))
        let result = CLI.run("probe", "--json", CLI.samples + "/voice-take-48k16-mono.wav", bad)
        #expect(result.status == 3)
        let array = try #require(CLI.json(result) as? [[String: Any]])
        #expect(array.count == 2)
        #expect(array[0]["channels"] as? Int == 1)
        let bext = (array[0]["metadata"] as? [String: Any])?["broadcast"] as? [String: Any]
        #expect(bext?["time_reference"] as? Int == 172_800_000)
        #expect(array[1]["file"] as? String == bad)
        let error = try #require(array[1]["error"] as? [String: Any])
        #expect(error["code"] as? String == "unsupported_format")
        #expect((error["message"] as? String)?.isEmpty == false)
    }

    @Test("text output names the file and its format; rejections go to stderr with their code")
    func textOutput() {
        let directory = TestDirectory()
        let empty = directory.write("empty.wav", bytes: [])
        let result = CLI.run("probe", CLI.samples + "/drums-44k16-stereo.flac", empty)
        #expect(result.status == 3)
        #expect(result.standardOutput.contains("flac / pcm_16"))
        #expect(result.standardOutput.contains("44100 Hz, 2 ch, 264600 frames"))
        #expect(result.standardError.contains("[empty_file]"))
    }

    @Test("a missing file is a failure (exit 1) with code io_error")
    func missingFile() throws {
        let result = CLI.run("probe", "--json", "/nonexistent/take.wav")
        #expect(result.status == 1)
        let object = try #require(CLI.json(result) as? [String: Any])
        #expect((object["error"] as? [String: Any])?["code"] as? String == "io_error")
    }

    @Test("usage errors exit 2", arguments: [["probe"], ["probe", "--bogus", "x.wav"], ["no-such-command"]])
    func usageErrors(arguments: [String]) {
        let result = TestSupport.run(CLI.binary, arguments)
        #expect(result.status == 2, "\(arguments): \(result.standardError)")
    }
}

/// `takevault analyze`: the contract's keys, and waveform files.
@Suite("takevault analyze")
struct AnalyzeCommandTests {
    @Test("JSON carries every key of the contract, levels where they exist")
    func contractKeys() throws {
        let result = CLI.run("analyze", "--json", CLI.samples + "/guitar-44k16-stereo.wav")
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(CLI.json(result) as? [String: Any])
        for key in ["integrated_lufs", "loudness_range_lu", "momentary_max_lufs", "short_term_max_lufs", "sample_peak_dbfs", "true_peak_dbtp", "channels_detail", "flags", "duration_s", "file"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        // The figures libebur128 gives for the same file (libsndfile's decode).
        let reference = try IndependentMeter.measure(CLI.samples + "/guitar-44k16-stereo.wav")
        let integrated = try #require(object["integrated_lufs"] as? Double)
        #expect(abs(integrated - reference.integratedLUFS) <= 0.05, "ours \(integrated), libebur128 \(reference.integratedLUFS)")
        let truePeak = try #require(object["true_peak_dbtp"] as? Double)
        #expect(abs(truePeak - reference.truePeakDBTP) <= 0.2, "ours \(truePeak), libebur128 \(reference.truePeakDBTP)")
        let details = try #require(object["channels_detail"] as? [[String: Any]])
        #expect(details.count == 2)
        #expect(details[0]["true_peak_dbtp"] as? Double != nil)
    }

    @Test("silence has null loudness and the digital_silence flag; several files print an array")
    func silenceAndArrays() throws {
        let directory = TestDirectory()
        var bytes = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVEfmt ".utf8) + [16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0xbb, 0, 0, 0, 0x77, 1, 0, 2, 0, 16, 0]
        bytes += Array("data".utf8) + [0x80, 0x25, 0, 0] + [UInt8](repeating: 0, count: 9_600)
        let riffSize = UInt32(bytes.count - 8)
        bytes.replaceSubrange(4..<8, with: (0..<4).map { UInt8(truncatingIfNeeded: riffSize >> (8 * $0)) })
        let silent = directory.write("silent.wav", bytes: bytes)
        let result = CLI.run("analyze", "--json", silent, CLI.samples + "/voice-take-48k16-mono.wav")
        #expect(result.status == 0, "\(result.standardError)")
        let array = try #require(CLI.json(result) as? [[String: Any]])
        #expect(array[0]["integrated_lufs"] is NSNull)
        #expect((array[0]["flags"] as? [String]) == ["digital_silence"])
        #expect(array[1]["integrated_lufs"] as? Double != nil)
    }

    @Test("--waveform writes audiowaveform JSON")
    func waveformJSON() throws {
        let directory = TestDirectory()
        let output = directory.file("voice.json")
        let result = CLI.run("analyze", CLI.samples + "/voice-take-48k16-mono.wav", "--waveform", output, "--waveform-bits", "8")
        #expect(result.status == 0, "\(result.standardError)")
        let data = try #require(try JSONSerialization.jsonObject(with: Data(directory.read(output))) as? [String: Any])
        #expect(data["version"] as? Int == 2)
        #expect(data["bits"] as? Int == 8)
        #expect(data["samples_per_pixel"] as? Int == 256)
        #expect(data["length"] as? Int == 1_125)   // 288 000 frames / 256
        #expect((data["data"] as? [Int])?.count == 2_250)
    }
}
