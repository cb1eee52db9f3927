import Hummingbird
import HummingbirdTesting
import RelayAPI
@testable import RelayServer
import RelayTestSupport
import TakePipeline
import TestSupport

/// The relay server in this process, over a fresh vault, served on loopback by HummingbirdTesting's
/// live framework: the same application `takevault serve` runs (routes, connection guards, workers,
/// callback notifier), reached by the real client over real HTTP, without a child process. Relay A
/// may upload for every owner, relay B for `u1` and `team-*` (``RelayFixtures``).
struct InProcessRelay: Sendable {
    let directory = TestDirectory()
    let vault: Vault
    private(set) var configuration: RelayConfiguration

    /// `adjust` changes the configuration before the server starts (workers, limits).
    /// `environment` sets the vault's settings as `TAKEVAULT_*` variables would (chunk size …).
    init(environment: [String: String] = [:], _ adjust: (inout RelayConfiguration) -> Void = { _ in }) throws {
        vault = try Vault.initialize(at: directory.file("vault"), environment: environment)
        var configuration = RelayConfiguration()
        configuration.port = 0
        configuration.workers = 1
        configuration.node = "node-a"
        configuration.relays = [
            RelayKey(keyID: RelayFixtures.relayA.keyID, secret: RelayFixtures.relayA.secret, scope: try OwnerScope(patterns: ["*"])),
            RelayKey(keyID: RelayFixtures.relayB.keyID, secret: RelayFixtures.relayB.secret, scope: try OwnerScope(patterns: RelayFixtures.relayBOwners)),
        ]
        adjust(&configuration)
        self.configuration = configuration
    }

    /// The same vault served with another configuration (a restart with other settings).
    func adjusted(_ adjust: (inout RelayConfiguration) -> Void) -> InProcessRelay {
        var copy = self
        adjust(&copy.configuration)
        return copy
    }

    /// Serves until `body` returns, then shuts down gracefully (takes in hand are finished).
    /// A server just shut down lets its claim on the vault go when the last of its tasks has
    /// ended, a moment after; a restart waits for that (up to 10 s).
    func serve<Value: Sendable>(_ body: @Sendable (Session) async throws -> Value) async throws -> Value {
        let application = try await application()
        return try await application.test(.live) { client in
            try await body(Session(relay: self, url: "http://localhost:\(client.port ?? 0)"))
        }
    }

    private func application() async throws -> some ApplicationProtocol {
        var attempts = 0
        while true {
            do { return try await RelayServer(vault: vault, configuration: configuration).application() } catch RelayConfigurationError.alreadyServing where attempts < 200 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// One run of the server: its URL and the relays' clients.
    struct Session: Sendable {
        let relay: InProcessRelay
        let url: String

        var directory: TestDirectory { relay.directory }
        var vault: Vault { relay.vault }
        /// Relay A's client.
        var client: RelayClient { RelayClient(baseURL: url, credentials: RelayFixtures.relayA) }
        func client(_ credentials: RelayCredentials) -> RelayClient { RelayClient(baseURL: url, credentials: credentials) }

        /// A raw, unsigned GET.
        func get(_ path: String) async throws -> RelayClient.Answer {
            try await client.send(RelayClient.Request(method: .GET, path: path), headers: [])
        }

        /// The takes in the vault, from its catalog.
        func takes() async throws -> [TakeSummary] { try await TakeListing(vault: vault).takes() }

        /// The uploads the vault holds: spool files and staged uploads.
        func heldUploads() -> [String] { RelayFixtures.heldUploads(vault: vault.root) }

        /// ``heldUploads()`` once a finished job's worker has let go.
        func heldUploadsOnceSettled() async -> [String] { await RelayFixtures.heldUploadsOnceSettled(vault: vault.root) }
    }
}
