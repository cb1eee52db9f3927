import ArgumentParser
import TakePipeline

/// `takevault catalog rebuild`.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Maintain the catalog (the index of the store).", subcommands: [Rebuild.self])

    struct Rebuild: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild", abstract: "Rebuild the catalog's index from the store's key objects and manifests alone.")

        @OptionGroup var vault: VaultOptions
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let summary = try await CatalogRebuild(vault: try vault.open()).run()
            if json {
                try JSONOutput.print(summary)
            } else {
                FileDescriptorOutput.standardOutput.write("catalog rebuilt: \(summary.owners) owner(s), \(summary.keys) key(s), \(summary.takes) take(s)\n")
                if summary.unindexedCount > 0 {
                    FileDescriptorOutput.standardError.write(
                        "warning: \(summary.unindexedCount) object(s) outside the vault's layout were not indexed (ids must follow FORMAT.md §2):\n"
                            + summary.unindexed.map { "  \($0)\n" }.joined())
                }
                if !summary.ok {
                    FileDescriptorOutput.standardError.write(
                        "error: \(summary.failures.count) object(s) did not open and are not indexed (their takes are missing from the catalog):\n"
                            + summary.failures.map { "  \($0.object): \($0.code): \($0.message)\n" }.joined())
                }
            }
            if !summary.ok { throw ExitStatus.integrity.exitCode }
        }
    }
}
