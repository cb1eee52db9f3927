import ArgumentParser
import TakePipeline

/// `takevault keys rotate`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Master key maintenance.", subcommands: [Rotate.self])

    struct Rotate: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Replace the master key and rewrap every owner key under it; audio is not touched. Rerun to resume an interrupted rotation.")
        @OptionGroup var vault: VaultOptions
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let result = try await KeyRotation(vault: try vault.open()).run()
            if json { try JSONOutput.print(result) } else {
                FileDescriptorOutput.standardOutput.write("master key is now \(result.masterKeyID); \(result.rewrapped) owner key(s) rewrapped\n")
            }
        }
    }
}
