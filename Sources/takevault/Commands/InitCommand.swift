import ArgumentParser
import TakePipeline

/// `takevault init`: creates a vault with a new master key.
struct InitCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault: folders, settings and a new master key (mode 0600).",
        discussion: """
            The master key is written to <vault>/master.key unless TAKEVAULT_MASTER_KEY (64 hex digits) or \
            TAKEVAULT_MASTER_KEY_FILE supplies it. Keep a copy of it apart from the vault: without it nothing \
            in the vault can be read. init refuses to touch an existing vault. With --store s3://bucket/prefix the \
            vault keeps its objects in that bucket (its config remembers it); with --catalog postgres://… its catalog \
            is that PostgreSQL database (the config records the URL without a password). Nodes sharing one vault each \
            run init with the same --store and --catalog and the same master key (docs/SCALING.md).
            """
    )

    @OptionGroup var vault: VaultOptions
    @Flag(help: "Print JSON.") var json = false

    func execute() async throws {
        if let catalog = vault.catalog { try await Vault.checkCatalog(catalog, vault: vault.path, environment: Environment.current) }
        let created = try Vault.initialize(at: vault.path, environment: Environment.current, store: vault.store, catalog: vault.catalog)
        // The catalog answers now, or init says so (a shared catalog connects on first use).
        try await created.checkCatalog()
        if json {
            try JSONOutput.print(["vault": created.root, "master_key_id": created.masterKeyID, "catalog": created.catalogDescription])
        } else {
            FileDescriptorOutput.standardOutput.write(
                "vault created at \(created.root) (master key \(created.masterKeyID), catalog \(created.catalogDescription))\n")
        }
    }
}
