import ArgumentParser
import TakePipeline

/// `takevault catalog rebuild` and `takevault catalog migrate`.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Maintain the catalog (the index of the store).", subcommands: [Rebuild.self, Migrate.self])

    struct Rebuild: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild", abstract: "Rebuild the catalog's index from the store's key objects and manifests alone.",
            discussion: "With --catalog postgres://… (or a file) the index is rebuilt into that catalog instead of the vault's own.")

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

    struct Migrate: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate", abstract: "Copy the vault's catalog into another (an empty PostgreSQL database or SQLite file) and switch to it.",
            discussion: """
                Every row is copied — index, events, the relay's jobs and nonces — in one transaction, read back and \
                compared; then config.json names the new catalog (a PostgreSQL URL without its password). The old \
                catalog is kept as it was. Stop `takevault serve` first (migrate refuses while it runs on this vault), \
                and every other node of a shared catalog.
                """)

        @OptionGroup var vault: VaultOptions
        @Option(help: "The catalog to copy into: postgres://USER@HOST[:PORT]/DATABASE, or a SQLite file (relative to the vault).")
        var to: String
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let summary = try await CatalogMigration(vault: try vault.open()).run(to: to, environment: Environment.current)
            if json {
                try JSONOutput.print(summary)
            } else {
                FileDescriptorOutput.standardOutput.write(
                    "catalog copied from \(summary.from) to \(summary.to): \(summary.owners) owner(s), \(summary.takes) take(s), "
                        + "\(summary.events) event(s), \(summary.jobs) job(s), \(summary.rows) row(s) in all; the vault now uses \(summary.to)\n")
            }
        }
    }
}
