import TakeCatalog
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Moves a vault to another catalog (`takevault catalog migrate --to LOCATION`): every row of the
/// catalog in force — index, history, the relay's jobs and nonces — copied into an empty target in
/// one transaction, read back and compared, then `config.json` names the target (a PostgreSQL URL
/// without its password). The old catalog is left as it was: the way back is to point the config
/// at it again.
///
/// Runs with the vault locked exclusive and the relay's claim held: no operation of this machine
/// writes to the old catalog meanwhile, and `serve` cannot be running here (it would go on writing
/// to the old one). Other nodes of a shared catalog must be stopped by the operator
/// (docs/SCALING.md).
public struct CatalogMigration: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// What was copied.
    public struct Summary: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        public var owners: Int
        public var takes: Int
        public var events: Int
        public var jobs: Int
        public var rows: Int
    }

    /// Copies the catalog in force to the one at `target` and makes it the vault's catalog.
    public func run(to target: String, environment: [String: String]) async throws -> Summary {
        guard let claim = try vault.locks.claim("serve") else {
            throw PipelineError.busy(operation: "catalog migrate", detail: "takevault serve is running on this vault; stop it first")
        }
        defer { withExtendedLifetime(claim) {} }
        return try await vault.withLock(.vault, .exclusive) {
            let opened = try CatalogLocation.open(target, vault: vault.root, environment: environment)
            let destination = opened.catalog, described = opened.description
            let snapshot = try await vault.catalog.snapshot()
            try await destination.load(snapshot)
            guard try await destination.snapshot().normalised == snapshot.normalised else {
                throw PipelineError.catalogCopyMismatch(target: described)
            }
            try Self.record(catalog: described, inConfigOf: vault.root)
            return Summary(from: vault.catalogDescription, to: described, owners: snapshot.owners.count, takes: snapshot.takes.count,
                           events: snapshot.events.count, jobs: snapshot.jobs.count, rows: snapshot.rowCount)
        }
    }

    /// Rewrites the vault's `config.json` with `catalog` as its catalog (atomically: the old file
    /// or the new one, never half of either).
    static func record(catalog: String, inConfigOf root: String) throws {
        var config = try JSONDecoder().decode(VaultConfig.self, from: Data(try FileIO.read(root + "/config.json")))
        config.catalog = catalog == CatalogLocation.defaultFile ? nil : catalog
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicOutput.write(Array(try encoder.encode(config)) + [0x0a], to: root + "/config.json", mode: 0o644)
    }
}
