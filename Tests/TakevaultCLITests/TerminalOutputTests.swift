import AudioTestSupport
import Testing
import TestSupport

/// What the CLI prints for people reaches a terminal: names and values from outside (an
/// uploaded file's name, a typed argument) must not carry control sequences to it or forge lines.
@Suite("Terminal output")
struct TerminalOutputTests {
    @Test("a file name with an escape sequence and a line break is listed on one line, escaped; an error quoting one is too",
          .timeLimit(.minutes(5)))
    func controlCharactersEscaped() throws {
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(CLI.run("init", "--vault", vault).status == 0)
        let file = directory.file("evil\u{1B}[31m\n2026-01-01 forged line.wav")
        writeWAV(file, channels: toneChannels(1, frames: 48_000, bits: 16, seed: 3), bits: 16)
        #expect(CLI.run("ingest", "--vault", vault, "--owner", "u1", "--tier", "pro", file).status == 0)
        let listed = CLI.run("ls", "--vault", vault)
        #expect(listed.status == 0)
        #expect(!listed.standardOutput.unicodeScalars.contains("\u{1B}"), "no raw escape reaches the terminal")
        #expect(listed.standardOutput.split(separator: "\n").count == 2, "the header and one take: \(listed.standardOutput)")
        #expect(listed.standardOutput.contains("evil\\u{1B}[31m\\u{A}2026-01-01 forged line.wav"))
        // JSON keeps the name as it is (JSON escapes it itself).
        #expect(CLI.run("ls", "--vault", vault, "--json").standardOutput.contains("evil\\u001b[31m\\n2026-01-01 forged line.wav"))

        let failed = CLI.run("amend", "--vault", vault, String(repeating: "0", count: 32), "--meta", "{\"session_id\":\"\u{1B}[31mRED\n\"}")
        #expect(failed.status != 0)
        #expect(!failed.standardError.unicodeScalars.contains("\u{1B}"), "\(failed.standardError)")
    }
}
