import ArgumentParser
import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--vault DIR`, `--store LOCATION` and `--catalog LOCATION`, on every command that touches a
/// vault; `TAKEVAULT_VAULT` sets the default vault, else `~/.local/share/takevault`.
struct VaultOptions: ParsableArguments {
    @Option(help: "The vault folder (default: $TAKEVAULT_VAULT, else ~/.local/share/takevault).")
    var vault: String?

    @Option(help: ArgumentHelp(
        "The object store: s3://bucket[/prefix], or a folder (default: $TAKEVAULT_STORE, else the vault's config, else <vault>/store).",
        discussion: "S3 reads TAKEVAULT_S3_ENDPOINT, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the shared credentials file."))
    var store: String?

    @Option(help: ArgumentHelp(
        "The catalog: postgres://USER@HOST[:PORT]/DATABASE, or a SQLite file (default: $TAKEVAULT_CATALOG, else the vault's config, else <vault>/catalog.sqlite).",
        discussion: "A PostgreSQL password comes from TAKEVAULT_CATALOG_PASSWORD or a password file (?password_file=PATH or TAKEVAULT_CATALOG_PASSWORD_FILE, mode 0600); a password in the URL works but is visible to other users in the process list."))
    var catalog: String?

    var path: String { vault ?? Vault.defaultPath(environment: Environment.current) }

    func open(overrides: (inout PipelineSettings) -> Void = { _ in }) throws -> Vault {
        try Vault.open(at: path, environment: Environment.current, store: store, catalog: catalog, overrides: overrides)
    }
}

/// The process environment as a dictionary.
enum Environment {
    static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            pointer += 1
        }
        return result
    }
}

extension OutputPermissions {
    /// `--file-mode`: private without it; a usage error when it is not an octal mode the owner can read and write.
    static func parse(_ option: String?) throws -> OutputPermissions {
        guard let option else { return .private }
        guard let permissions = OutputPermissions(octal: option) else {
            throw ValidationError("--file-mode must be an octal mode such as 600 or 640 that lets the owner read and write")
        }
        return permissions
    }
}
