import ArgumentParser
import TakePipeline
import TakevaultCore

/// `takevault delete --take ID… | --session ID [--owner ID]`: deletes takes before their window
/// ends, as a user asked (docs/OPERATIONS.md, "Deleting takes and sessions").
struct DeleteCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete takes, or a session's takes, now: manifests first, then the chunks nothing else needs.",
        discussion: """
            Refused (exit 3) while a hold covers the owner or a take; a restricted owner's takes are deleted (restriction \
            limits processing, not erasure). An unknown take or session exits 2 and deletes nothing. Without --owner, \
            --session must name a session only one owner has.
            """)

    @OptionGroup var vault: VaultOptions
    @Option(name: .customLong("take"), parsing: .upToNextOption, help: "Take ids to delete.") var takes: [String] = []
    @Option(help: "Delete every take of this session.") var session: String?
    @Option(help: "The session's owner.") var owner: String?
    @Option(help: "Who asked (recorded in the audit event).") var by: String = "operator"
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard takes.isEmpty != (session == nil) else { throw ValidationError("Give --take ID… or --session ID, not both.") }
        if owner != nil, session == nil { throw ValidationError("--owner goes with --session.") }
    }

    func execute() async throws {
        let opened = try vault.open()
        let deletion = TakeDeletion(vault: opened)
        let results: [TakeDeletion.Result]
        if let session {
            var owner = self.owner
            if owner == nil { owner = try await Self.onlyOwner(of: session, in: opened) }
            results = [try await deletion.delete(session: session, owner: owner ?? "", by: by)]
        } else {
            results = try await deletion.delete(takes: takes, by: by)
        }
        if json { return try JSONOutput.print(results) }
        for result in results {
            FileDescriptorOutput.standardOutput.write("deleted \(result.takes.count) take\(result.takes.count == 1 ? "" : "s") of \(result.owner): \(result.objectsDeleted) objects, \(result.bytesFreed) bytes\n")
            for take in result.takes { FileDescriptorOutput.standardOutput.write("  \(take)\n") }
        }
    }

    /// The one owner with takes in `session`.
    static func onlyOwner(of session: String, in vault: Vault) async throws -> String {
        let owners = try await TakeDeletion(vault: vault).owners(ofSession: session)
        guard owners.count <= 1 else {
            throw ValidationError("Owners \(owners.joined(separator: ", ")) all have a session \(session): give --owner.")
        }
        guard let owner = owners.first else { throw PipelineError.sessionNotFound(owner: "(any)", session: session) }
        return owner
    }
}
