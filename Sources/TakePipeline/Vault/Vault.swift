import ObjectStore
import TakeArchive
import TakeCatalog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A vault: the store of sealed objects, the catalog that indexes it, the master key, the settings,
/// and the quarantine and work folders.
///
/// On disk (`--vault DIR`): `config.json`, `master.key` (mode 0600, unless the key comes from the
/// environment), `catalog.sqlite`, `store/` (the local object store, unless the config names
/// another), `quarantine/`, `work/` (temporary files of running ingests), `spool/` (uploads the relay server
/// has acknowledged and not yet archived), `locks/` (``VaultLocks``).
public final class Vault: Sendable {
    public let root: String
    /// The objects. Package-visible only: callers outside the pipeline and the relay go through
    /// the pipeline's operations, which keep the store and the catalog in step.
    package let store: any ObjectStore
    /// The index of the store, the audit log and the relay's job queue (package-visible, as `store`).
    package let catalog: any Catalog
    public let masterKeys: MasterKeyRing
    /// The key file, or `nil` when the environment supplies the key.
    public let masterKeyPath: String?
    /// The key file `TAKEVAULT_MASTER_KEY_FILE` names (each node of a shared vault has its own
    /// copy); a `.next` file beside it is the key a rotation moves to (docs/SCALING.md).
    public let environmentKeyFile: String?
    public let settings: PipelineSettings
    public let clock: PipelineClock
    /// The store's data-residency region, tagged on every object written.
    public let region: String
    /// What operations lock, so they run safely beside each other.
    public let locks: VaultLocks
    /// Which catalog this is, as it may be printed: a file name or a PostgreSQL URL without its password.
    public let catalogDescription: String
    /// Whether the catalog is shared by several nodes (PostgreSQL) rather than this vault's own file.
    public var catalogIsShared: Bool { CatalogLocation.isShared(catalogDescription) }

    public var quarantineDirectory: String { root + "/quarantine" }
    public var workDirectory: String { root + "/work" }
    /// Uploads `takevault serve` has acknowledged and not yet archived (docs/RELAY.md).
    public var spool: SpoolLayout { SpoolLayout(root: root + "/spool") }

    /// The default vault folder: `$TAKEVAULT_VAULT`, else `$XDG_DATA_HOME/takevault`, else
    /// `~/.local/share/takevault`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["TAKEVAULT_VAULT"], !path.isEmpty { return path }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/takevault" }
        return (environment["HOME"] ?? ".") + "/.local/share/takevault"
    }

    /// The key that wraps new owner keys.
    public var masterKey: MasterKey { masterKeys.primary }
    /// That key's public id (hex), as `init` and `keys rotate` print it.
    public var masterKeyID: String { masterKey.id.hex }

    init(root: String, store: any ObjectStore, catalog: any Catalog, masterKeys: MasterKeyRing, masterKeyPath: String?, environmentKeyFile: String?,
         settings: PipelineSettings, clock: PipelineClock, region: String, locks: VaultLocks, catalogDescription: String) {
        self.environmentKeyFile = environmentKeyFile
        self.catalogDescription = catalogDescription
        self.region = region
        self.locks = locks
        self.root = root
        self.store = store
        self.catalog = catalog
        self.masterKeys = masterKeys
        self.masterKeyPath = masterKeyPath
        self.settings = settings
        self.clock = clock
    }

    /// Creates a vault at `path`: folders, a new master key in `master.key` (mode 0600) unless
    /// the environment supplies one, the default `config.json`, and an empty catalog. Refuses to
    /// touch an existing vault.
    @discardableResult
    public static func initialize(at path: String, environment: [String: String], store: String? = nil, catalog: String? = nil,
                                  clock: PipelineClock = .system) throws -> Vault {
        if access(path + "/config.json", F_OK) == 0 { throw PipelineError.vaultExists(path: path) }
        // The vault holds keys and personal data: only its owner may enter it.
        try FileIO.makeDirectory(path)
        chmod(path, 0o700)
        for directory in [path + "/store", path + "/quarantine", path + "/work"] { try FileIO.makeDirectory(directory) }
        if let store, !S3Configuration.isS3URL(store) {
            // A folder named for the store (a shared one, for several nodes) is made here, once.
            _ = try StoreLocation.open(store, vault: path, region: "", environment: environment, create: true)
        }
        if MasterKeySource.fromEnvironment(environment) == nil {
            try FileIO.writeNew(path + "/master.key", MasterKey.generate().fileContents(), mode: 0o600)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var settings = VaultConfig()
        // A store named at creation is remembered — a bucket, or a folder other than the vault's
        // own (two nodes' vault folders on one shared folder) —; later commands need no --store.
        if let store, S3Configuration.isS3URL(store) { settings.store = store } else if let store, store != "store" { settings.storePath = store }
        // So is a shared catalog, without its password (which comes from the environment or a file).
        if let catalog, CatalogLocation.isShared(catalog) { settings.catalog = try CatalogLocation.describe(catalog, environment: environment) }
        var config = Array(try encoder.encode(settings))
        config.append(0x0a)
        try FileIO.writeNew(path + "/config.json", config, mode: 0o644)
        return try open(at: path, environment: environment, store: store, catalog: catalog, clock: clock)
    }

    /// Opens the vault at `path`, with settings from its config and the environment (then
    /// `overrides`, the command line's).
    public static func open(
        at path: String, environment: [String: String], store storeFlag: String? = nil, catalog catalogFlag: String? = nil,
        overrides: (inout PipelineSettings) -> Void = { _ in }, clock: PipelineClock = .system
    ) throws -> Vault {
        guard access(path + "/config.json", F_OK) == 0 else { throw PipelineError.vaultMissing(path: path) }
        let configBytes = try FileIO.read(path + "/config.json")
        let config: VaultConfig
        do { config = try JSONDecoder().decode(VaultConfig.self, from: Data(configBytes)) } catch {
            throw PipelineError.invalidSetting(name: "config.json", value: "unreadable", allowed: "JSON: \(error)")
        }
        var settings = config.pipeline
        try settings.applyEnvironment(environment)
        overrides(&settings)
        try settings.validate()
        // Residency: refuse a store outside the regions the privacy policy allows.
        guard config.allowedRegions.contains(config.region) else {
            throw PipelineError.regionNotAllowed(region: config.region, allowed: config.allowedRegions)
        }
        let (masterKeys, masterKeyPath) = try MasterKeySource.load(vault: path, environment: environment)
        let keyFile = environment["TAKEVAULT_MASTER_KEY_FILE"] ?? ""
        let environmentKeyFile = (environment["TAKEVAULT_MASTER_KEY"] ?? "").isEmpty && !keyFile.isEmpty ? keyFile : nil
        let location = StoreLocation.resolve(flag: storeFlag, environment: environment, config: config)
        let catalogLocation = CatalogLocation.resolve(flag: catalogFlag, environment: environment, config: config)
        // A folder store several nodes share is made by `init` only: one missing later (unmounted,
        // moved) fails every command and upload rather than start afresh on this node's disk.
        let store = try StoreLocation.open(location, vault: path, region: config.region, environment: environment,
                                           create: !CatalogLocation.isShared(catalogLocation))
        let catalog = try CatalogLocation.open(catalogLocation, vault: path, environment: environment)
        for directory in [path + "/quarantine", path + "/work"] { try FileIO.makeDirectory(directory) }
        return Vault(root: path, store: store, catalog: catalog.catalog, masterKeys: masterKeys, masterKeyPath: masterKeyPath,
                     environmentKeyFile: environmentKeyFile, settings: settings,
                     clock: clock, region: config.region, locks: try VaultLocks(vault: path, shared: catalog.database),
                     catalogDescription: catalog.description)
    }
}

/// `config.json`: the pipeline settings, where the store is and which region it is in.
public struct VaultConfig: Sendable, Codable {
    public var format = 1
    /// The object store, `s3://bucket[/prefix]` (see ``StoreLocation``); `nil` for the local folder.
    public var store: String?
    /// A local store folder, relative to the vault (default `store`).
    public var storePath: String?
    /// The catalog, `postgres://USER@HOST:PORT/DATABASE` without a password (see
    /// ``CatalogLocation``); `nil` for the vault's own `catalog.sqlite`.
    public var catalog: String?
    /// The store's region; the privacy policy keeps all data in AWS eu-west-1 (Ireland).
    public var region = "eu-west-1"
    /// Regions a store may be in; opening a vault whose store is elsewhere fails.
    public var allowedRegions = ["eu-west-1"]
    public var pipeline = PipelineSettings()

    public init() {}

    enum CodingKeys: String, CodingKey { case format, store, storePath = "store_path", catalog, region, allowedRegions = "allowed_regions", pipeline }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decodeIfPresent(Int.self, forKey: .format) ?? 1
        store = try container.decodeIfPresent(String.self, forKey: .store)
        storePath = try container.decodeIfPresent(String.self, forKey: .storePath)
        catalog = try container.decodeIfPresent(String.self, forKey: .catalog)
        region = try container.decodeIfPresent(String.self, forKey: .region) ?? "eu-west-1"
        allowedRegions = try container.decodeIfPresent([String].self, forKey: .allowedRegions) ?? ["eu-west-1"]
        pipeline = try container.decodeIfPresent(PipelineSettings.self, forKey: .pipeline) ?? PipelineSettings()
    }
}

/// Where the master key comes from: `TAKEVAULT_MASTER_KEY` (64 hex digits), the file named by
/// `TAKEVAULT_MASTER_KEY_FILE`, or the vault's `master.key`.
enum MasterKeySource {
    static func fromEnvironment(_ environment: [String: String]) -> String? {
        if let hex = environment["TAKEVAULT_MASTER_KEY"], !hex.isEmpty { return "hex" }
        if let file = environment["TAKEVAULT_MASTER_KEY_FILE"], !file.isEmpty { return file }
        return nil
    }

    /// The key ring and the vault's key file (`nil` when the key comes from the environment). A
    /// `master.key.next` beside the key file means a rotation was interrupted: both keys are loaded
    /// and the next one wraps.
    static func load(vault: String, environment: [String: String]) throws -> (MasterKeyRing, String?) {
        if let hex = environment["TAKEVAULT_MASTER_KEY"], !hex.isEmpty { return (MasterKeyRing(primary: try MasterKey(hex: hex)), nil) }
        if let file = environment["TAKEVAULT_MASTER_KEY_FILE"], !file.isEmpty {
            // A node's own key file; FILE.next beside it is the key a rotation across nodes moves to.
            if FileIO.exists(file + ".next") { return (MasterKeyRing(primary: try read(file + ".next"), others: [try read(file)]), nil) }
            return (MasterKeyRing(primary: try read(file)), nil)
        }
        let current = try read(vault + "/master.key")
        if FileIO.exists(vault + "/master.key.next") {
            return (MasterKeyRing(primary: try read(vault + "/master.key.next"), others: [current]), vault + "/master.key")
        }
        return (MasterKeyRing(primary: current), vault + "/master.key")
    }

    static func read(_ path: String) throws -> MasterKey {
        guard let bytes = try? FileIO.read(path) else {
            throw ArchiveError.masterKeyUnavailable(detail: "cannot read \(path) (set TAKEVAULT_MASTER_KEY or TAKEVAULT_MASTER_KEY_FILE, or run init)")
        }
        return try MasterKey(fileContents: bytes)
    }
}
