import ArgumentParser
import RelayAPI
import RelayServer
import TakePipeline

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

    struct AddKey: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-key",
            abstract: "Create a relay key in <vault>/relays.json and print its secret (shown only this once).",
            discussion: "The relay signs requests with the secret: give it TAKEVAULT_RELAY_KEY_ID and TAKEVAULT_RELAY_SECRET. Restart `serve` to load new keys."
        )

        @OptionGroup var vault: VaultOptions
        @Argument(help: "The relay's key id (letters, digits, '-', '_', '.').") var keyID: String
        @Option(help: ArgumentHelp(
            "Owners the relay may upload for: owner ids, prefixes ending in '*' (eu-*), or '*' for every owner. Repeat or separate with commas.",
            valueName: "pattern"))
        var owners: [String] = []
        @Option(help: "URL that receives each job's final state (signed POST; http or https).") var callbackURL: String?
        @Flag(help: "Print JSON: {\"key_id\", \"secret\", \"owners\"}.") var json = false

        func validate() throws {
            guard !owners.isEmpty else { throw ValidationError("--owners is required: name the owners this relay may upload for ('*' for all)") }
        }

        func execute() async throws {
            let opened = try vault.open()
            let path = opened.root + "/relays.json"
            var random = SystemRandomNumberGenerator()
            let secret = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
            let patterns = owners.flatMap { $0.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) } }
            try RelayKeyFile.add(RelayKeyFile.Entry(keyID: keyID, secret: secret, owners: patterns, callbackURL: callbackURL), to: path)
            if json {
                try JSONOutput.print(AddedKey(keyID: keyID, secret: secret, owners: patterns))
            } else {
                FileDescriptorOutput.standardOutput.write(
                    "relay \(keyID) added to \(path) (owners: \(patterns.joined(separator: ",")))\nTAKEVAULT_RELAY_KEY_ID=\(keyID)\nTAKEVAULT_RELAY_SECRET=\(secret)\n")
            }
        }
    }
}

struct AddedKey: Encodable {
    var keyID: String
    var secret: String
    var owners: [String]

    enum CodingKeys: String, CodingKey { case keyID = "key_id", secret, owners }
}
