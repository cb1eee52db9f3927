import ArgumentParser
import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--vault DIR`, on every command that touches a vault; `TAKEVAULT_VAULT` sets the default, else
/// `~/.local/share/takevault`.
struct VaultOptions: ParsableArguments {
    @Option(help: "The vault folder (default: $TAKEVAULT_VAULT, else ~/.local/share/takevault).")
    var vault: String?

    var path: String { vault ?? Vault.defaultPath(environment: Environment.current) }

    func open(overrides: (inout PipelineSettings) -> Void = { _ in }) throws -> Vault {
        try Vault.open(at: path, environment: Environment.current, overrides: overrides)
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
