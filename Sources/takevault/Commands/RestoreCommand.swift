import ArgumentParser
import TakePipeline
import TakevaultCore

/// `takevault restore TAKE --artefact master|preview|waveform|report -o FILE`.
struct RestoreCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Write an artefact of a take to a file, checking every chunk and the whole (exit 4 names a damaged object).")

    @OptionGroup var vault: VaultOptions
    @Argument(help: "The take id.") var take: String
    @Option(help: "Which artefact.") var artefact: ArtefactKind = .master
    @Option(name: .shortAndLong, help: "Where to write it.") var output: String
    @Option(help: "Octal mode of the written file (default 600: only you; e.g. 640 to share with your group).") var fileMode: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        _ = try OutputPermissions.parse(fileMode)
    }

    func execute() async throws {
        let restored = try await Restore(vault: try vault.open()).run(take: take, artefact: artefact, to: output, permissions: try OutputPermissions.parse(fileMode))
        if json {
            try JSONOutput.print(RestoreDocument(take: take, artefact: artefact, output: output, codec: restored.codec, bytes: restored.bytes, sha256: restored.sha256))
        } else {
            FileDescriptorOutput.standardOutput.write("\(output): \(artefact) of \(take) (\(restored.codec), \(restored.bytes) bytes, sha256 verified)\n")
        }
    }
}

struct RestoreDocument: Encodable {
    var take: String
    var artefact: ArtefactKind
    var output: String
    var codec: String
    var bytes: Int64
    var sha256: String
}
