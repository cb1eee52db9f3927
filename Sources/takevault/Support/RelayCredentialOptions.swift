import ArgumentParser
import RelayAPI
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a command that talks to `takevault serve` as a relay (`push`, `fetch`) gets its identity:
/// `--key-id` or `TAKEVAULT_RELAY_KEY_ID`, the secret from `--secret-file` or `TAKEVAULT_RELAY_SECRET`
/// (never from the command line, where other users could read it).
struct RelayCredentialOptions: ParsableArguments {
    @Option(help: "Relay key id (default: $TAKEVAULT_RELAY_KEY_ID).") var keyID: String?
    @Option(help: "File holding the relay secret (default: $TAKEVAULT_RELAY_SECRET).") var secretFile: String?

    func credentials() throws -> RelayCredentials {
        let environment = Environment.current
        guard let keyID = keyID ?? environment["TAKEVAULT_RELAY_KEY_ID"], !keyID.isEmpty else {
            throw ValidationError("Give the relay key id: --key-id or TAKEVAULT_RELAY_KEY_ID.")
        }
        if let secretFile { return RelayCredentials(keyID: keyID, secret: Array(try Self.readSecret(secretFile).utf8)) }
        if let value = environment["TAKEVAULT_RELAY_SECRET"], !value.isEmpty { return RelayCredentials(keyID: keyID, secret: Array(value.utf8)) }
        throw ValidationError("Give the relay secret: --secret-file or TAKEVAULT_RELAY_SECRET.")
    }

    /// The file's text without its trailing line breaks.
    static func readSecret(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RelayClientError.fileUnreadable(path: path, detail: "no such file or not readable")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.reversed().drop { $0 == "\n" || $0 == "\r" }.reversed())
    }
}
