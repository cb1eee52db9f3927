import ArgumentParser
import RelayAPI
import RelayServer
import TakePipeline

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

/// `takevault relay add-key ID`: let a relay upload to `takevault serve`.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Manage the relays allowed to upload to `takevault serve`.",
        subcommands: [AddKey.self]
    )

    struct AddKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-key",
            abstract: "Create a relay key in <vault>/relays.json and print its secret (shown only this once).",
            discussion: "The relay signs requests with the secret: give it TAKEVAULT_RELAY_KEY_ID and TAKEVAULT_RELAY_SECRET. Restart `serve` to load new keys."
        )

        @OptionGroup var vault: VaultOptions
        @Argument(help: "The relay's key id (letters, digits, '-', '_', '.').") var keyID: String
        @Option(help: "URL that receives each job's final state (signed POST).") var callbackURL: String?
        @Flag(help: "Print JSON: {\"key_id\", \"secret\"}.") var json = false

        func run() async throws {
            do {
                let opened = try vault.open()
                let path = opened.root + "/relays.json"
                var document: [String: [[String: String]]] = ["relays": []]
                if access(path, F_OK) == 0 {
                    _ = try RelayKeyFile.load(path)
                    let data = FileManager.default.contents(atPath: path) ?? Data()
                    document = try JSONDecoder().decode([String: [[String: String]]].self, from: data)
                }
                guard !(document["relays"] ?? []).contains(where: { $0["key_id"] == keyID }) else {
                    throw RelayConfigurationError.keyFile(path: path, problem: "already has key id \(keyID)")
                }
                var random = SystemRandomNumberGenerator()
                let secret = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
                var entry = ["key_id": keyID, "secret": secret]
                if let callbackURL { entry["callback_url"] = callbackURL }
                document["relays", default: []].append(entry)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let bytes = Array(try encoder.encode(document)) + [0x0a]
                let temporary = path + ".new"
                unlink(temporary)
                let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { throw RelayConfigurationError.keyFile(path: temporary, problem: "cannot be created") }
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
                fsync(descriptor)
                close(descriptor)
                guard written == bytes.count, rename(temporary, path) == 0 else { throw RelayConfigurationError.keyFile(path: path, problem: "cannot be written") }
                // Checks what was written the way `serve` will read it.
                _ = try RelayKeyFile.load(path)
                if json {
                    try JSONOutput.print(["key_id": keyID, "secret": secret])
                } else {
                    FileDescriptorOutput.standardOutput.write("relay \(keyID) added to \(path)\nTAKEVAULT_RELAY_KEY_ID=\(keyID)\nTAKEVAULT_RELAY_SECRET=\(secret)\n")
                }
            } catch {
                throw report(error, json: json)
            }
        }
    }
}
