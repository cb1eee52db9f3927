import ArgumentParser
import TakeArchive
import TakePipeline
import TakevaultCore

/// `takevault keys rotate` and `takevault keys generate`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Master key maintenance.", subcommands: [Rotate.self, Generate.self])

    /// A new master key file, for the nodes of a shared vault to rotate to (docs/SCALING.md).
    struct Generate: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new master key file (mode 0600; never over an existing file) and print its id.",
            discussion: "For a shared vault: generate FILE.next beside a node's TAKEVAULT_MASTER_KEY_FILE, copy it to the same place on every node, then run `keys rotate` on one node.")
        @Argument(help: "The file to create.") var file: String
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let key = MasterKey.generate()
            do { try SystemIO.createFile(file, key.fileContents(), mode: 0o600) } catch {
                throw SystemError.about(file, error)
            }
            if json { try JSONOutput.print(["file": file, "master_key_id": key.id.hex]) } else {
                FileDescriptorOutput.standardOutput.write("\(file): master key \(key.id.hex)\n")
            }
        }
    }

    struct Rotate: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Re-key owners whose takes were deleted, replace the master key and rewrap every owner key under it; audio is not touched. Rerun to resume an interrupted rotation.",
            discussion: "Exit 4 when an owner due for a re-key could not be re-keyed, or a take key object or a staged upload's seal did not open (each named in the output): the master key is rotated all the same, and such an owner is tried again next time.")
        @OptionGroup var vault: VaultOptions
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let result = try await KeyRotation(vault: try vault.open()).run()
            if json { try JSONOutput.print(result) } else {
                FileDescriptorOutput.standardOutput.write("""
                    master key is now \(result.masterKeyID); \(result.rewrapped) owner key(s) rewrapped; \(result.rekeyedOwners) owner(s) re-keyed \
                    (\(result.takeKeysRewrapped) take key(s) rewrapped); \(result.stagedUploadsRewrapped) staged upload(s) rewrapped\n
                    """)
            }
            for name in result.damagedTakeKeys {
                FileDescriptorOutput.standardError.write("\(name): did not open; left as it is (its take is unreadable)\n")
            }
            for name in result.damagedStagedUploads {
                FileDescriptorOutput.standardError.write("\(name): did not open; left as it is (its job will fail on it)\n")
            }
            if !result.rekeyFailed.isEmpty {
                FileDescriptorOutput.standardError.write("re-key failed for \(result.rekeyFailed.joined(separator: ", ")): they stay due (see the log)\n")
            }
            if !result.rekeyFailed.isEmpty || !result.damagedTakeKeys.isEmpty || !result.damagedStagedUploads.isEmpty { throw ExitStatus.integrity.exitCode }
        }
    }
}
