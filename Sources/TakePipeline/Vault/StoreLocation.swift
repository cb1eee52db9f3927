import ObjectStore

/// Which object store a vault uses: a local folder (the default, `<vault>/store`) or an S3 bucket
/// (`s3://bucket[/prefix]`).
///
/// Chosen by, first to last: the command line's `--store`, `TAKEVAULT_STORE`, `store` in the
/// vault's `config.json`, then `store_path` (a folder) there. For S3 the vault's region is the
/// signing region, so a bucket outside the allowed regions refuses every request: residency is
/// checked by S3 itself as well as by takevault's configuration.
public enum StoreLocation {
    /// The store at `location` (`s3://…` or a folder, relative to the vault).
    /// The store at `location`. A folder is made if missing unless `create` is false: the folder
    /// of a vault whose nodes share it must be there already (``Vault/open(at:environment:store:catalog:overrides:clock:)``).
    public static func open(_ location: String, vault: String, region: String, environment: [String: String], create: Bool = true) throws -> any ObjectStore {
        if S3Configuration.isS3URL(location) {
            return S3Store(configuration: try S3Configuration.from(url: location, region: region, environment: environment))
        }
        return try LocalStore(root: location.hasPrefix("/") ? location : vault + "/" + location, create: create)
    }

    /// The location in force for a vault with `config`, given the command line's choice.
    public static func resolve(flag: String?, environment: [String: String], config: VaultConfig) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let variable = environment["TAKEVAULT_STORE"], !variable.isEmpty { return variable }
        if let store = config.store, !store.isEmpty { return store }
        return config.storePath ?? "store"
    }
}
