import ArgumentParser
import TakePipeline

/// `takevault keys rotate`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Master key maintenance.", subcommands: [Rotate.self])

    struct Rotate: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Re-key owners whose takes were deleted, replace the master key and rewrap every owner key under it; audio is not touched. Rerun to resume an interrupted rotation.",
            discussion: "Exit 4 when an owner due for a re-key could not be re-keyed, or a take key object did not open (both named in the output): the master key is rotated all the same, and such an owner is tried again next time.")
        @OptionGroup var vault: VaultOptions
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let result = try await KeyRotation(vault: try vault.open()).run()
            if json { try JSONOutput.print(result) } else {
                FileDescriptorOutput.standardOutput.write("""
                    master key is now \(result.masterKeyID); \(result.rewrapped) owner key(s) rewrapped; \(result.rekeyedOwners) owner(s) re-keyed \
                    (\(result.takeKeysRewrapped) take key(s) rewrapped)\n
                    """)
            }
            for name in result.damagedTakeKeys {
                FileDescriptorOutput.standardError.write("\(name): did not open; left as it is (its take is unreadable)\n")
            }
            if !result.rekeyFailed.isEmpty {
                FileDescriptorOutput.standardError.write("re-key failed for \(result.rekeyFailed.joined(separator: ", ")): they stay due (see the log)\n")
            }
            if !result.rekeyFailed.isEmpty || !result.damagedTakeKeys.isEmpty { throw ExitStatus.integrity.exitCode }
        }
    }
}
