import ArgumentParser
import TakePipeline
import TakevaultCore

/// `takevault amend TAKE --meta JSON`: corrects a take's metadata (docs/OPERATIONS.md, "Correcting a take").
struct AmendCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "amend",
        abstract: "Correct a take's session, participants, recorded time or DAW transport state: a new generation, the audio untouched.",
        discussion: """
            --meta names the fields to set ({"participants": [{"id": "u2", "role": "bass"}]}); null clears one; other \
            fields stay. Older generations, which hold the values corrected, are deleted unless a hold covers the take.
            """)

    @OptionGroup var vault: VaultOptions
    @Argument(help: "The take id.") var take: String
    @Option(help: #"The corrections as JSON: session_id, participants, recorded_at, daw_transport."#) var meta: String
    @Option(help: "Who asked (recorded in the audit event).") var by: String = "operator"
    @Flag(help: "Print JSON.") var json = false

    func execute() async throws {
        let correction = try MetadataCorrection.parse(Array(meta.utf8))
        let result = try await TakeAmendment(vault: try vault.open()).amend(take: take, correction: correction, by: by)
        if json { return try JSONOutput.print(result) }
        if result.changed.isEmpty {
            FileDescriptorOutput.standardOutput.write("\(take): nothing to correct (generation \(result.generation) already says so)\n")
        } else {
            FileDescriptorOutput.standardOutput.write("\(take): corrected \(result.changed.joined(separator: ", ")) in generation \(result.generation)\(result.olderGenerationsKept ? " (older generations kept: a hold covers the take)" : "")\n")
        }
    }
}
