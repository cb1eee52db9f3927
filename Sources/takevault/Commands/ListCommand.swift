import ArgumentParser
import TakePipeline

/// `takevault ls [--owner ID]`: the takes in the vault.
struct ListCommand: ReportingCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List takes, newest first.")

    @OptionGroup var vault: VaultOptions
    @Option(help: "Only this owner's takes.") var owner: String?
    @Flag(help: "Print JSON.") var json = false

    func execute() async throws {
        let takes = try await TakeListing(vault: try vault.open()).takes(owner: owner)
        if json {
            try JSONOutput.print(takes)
            return
        }
        var lines = ["take                              owner        tier    ingested              retain until          length    LUFS  file"]
        for take in takes {
            let loudness = take.integratedLufs.map { String(format1: $0) } ?? "—"
            lines.append([
                take.takeId, take.owner.padding(12), take.tier.rawValue.padding(7), take.ingestedAt.padding(21),
                (take.retainUntil ?? "until deleted").padding(21), (String(format1: take.durationS) + " s").padding(9),
                loudness.padding(5), TerminalText.escaped(take.file),
            ].joined(separator: " "))
        }
        FileDescriptorOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
    }
}
