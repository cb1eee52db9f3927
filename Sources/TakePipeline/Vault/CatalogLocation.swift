import TakeCatalog
import TakeCatalogPostgres

/// Which catalog a vault uses: its own SQLite file (the default, `<vault>/catalog.sqlite`) or a
/// PostgreSQL database shared by several nodes (`postgres://USER@HOST:PORT/DATABASE`).
///
/// Chosen by, first to last: the command line's `--catalog`, `TAKEVAULT_CATALOG`, `catalog` in the
/// vault's `config.json`, then `catalog.sqlite`. A PostgreSQL password comes from
/// `TAKEVAULT_CATALOG_PASSWORD`, a password file (`?password_file=` or
/// `TAKEVAULT_CATALOG_PASSWORD_FILE`) or the URL itself; config.json never records it, and nothing
/// prints it (``describe(_:environment:)``).
public enum CatalogLocation {
    /// The file name of the embedded catalog inside a vault.
    public static let defaultFile = "catalog.sqlite"

    /// The location in force for a vault with `config`, given the command line's choice.
    public static func resolve(flag: String?, environment: [String: String], config: VaultConfig) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let variable = environment["TAKEVAULT_CATALOG"], !variable.isEmpty { return variable }
        if let catalog = config.catalog, !catalog.isEmpty { return catalog }
        return defaultFile
    }

    /// Whether `location` names a PostgreSQL catalog.
    public static func isShared(_ location: String) -> Bool { PostgresLocation.isPostgresURL(location) }

    /// A catalog opened from its location, with what else the vault needs of that location.
    public struct Opened: Sendable {
        public let catalog: any Catalog
        /// The location as it may be printed or recorded: a PostgreSQL URL without its password.
        public let description: String
        /// The PostgreSQL database, whose advisory locks the vault's operations take; `nil` for SQLite.
        public let database: PostgresLocation?
    }

    /// The catalog at `location` (`postgres://…`, or a SQLite file relative to the vault), the
    /// location parsed once (a password file is read once). A PostgreSQL catalog connects on first use,
    /// and shares its connection pool with every other vault of this process on the same database.
    public static func open(_ location: String, vault: String, environment: [String: String]) throws -> Opened {
        if isShared(location) {
            let database = try PostgresLocation(url: location, environment: environment)
            return Opened(catalog: PostgresCatalog.shared(database), description: database.redacted, database: database)
        }
        return Opened(catalog: try SQLiteCatalog(path: location.hasPrefix("/") ? location : vault + "/" + location), description: location, database: nil)
    }

    /// `location` as it may be printed or recorded: a PostgreSQL URL without its password.
    public static func describe(_ location: String, environment: [String: String]) throws -> String {
        isShared(location) ? try PostgresLocation(url: location, environment: environment).redacted : location
    }
}
