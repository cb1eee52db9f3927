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
