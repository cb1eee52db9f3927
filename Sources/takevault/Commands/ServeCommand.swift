import ArgumentParser
import RelayServer
import TakePipeline

/// `takevault serve`: the relay hand-off service on HTTP (docs/RELAY.md).
struct ServeCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Take finished takes from relays over HTTP: signed uploads, a durable queue, the pipeline behind it.",
        discussion: """
            Relays and their secrets come from <vault>/relays.json (mode 0600; `takevault relay add-key` writes it) \
            or --relay-keys. Uploads are acknowledged (202) only once on disk and synced in <vault>/spool; workers \
            ingest them into the vault. Prints "listening on http://HOST:PORT" when ready. SIGTERM or SIGINT stops \
            gracefully: takes in hand are finished, queued ones wait for the next start.
            """
    )

    @OptionGroup var vault: VaultOptions
    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).") var listen = "127.0.0.1:8080"
    @Option(help: "Relay key file (default: $TAKEVAULT_RELAY_KEYS, else <vault>/relays.json).") var relayKeys: String?
    @Option(help: "Pipeline workers (default: one per core).") var workers: Int?
    @Option(help: "This node's name among the nodes of a shared vault: its job leases and metrics carry it (default: $TAKEVAULT_NODE, else the host name).")
    var node: String?
    @Option(help: "Seconds a claimed job stays this node's without renewal; a node stalled longer loses it to the others (10–3600, default 60).")
    var leaseSeconds: Int?
    @Option(help: "Takes waiting or in progress before uploads get 503.") var queueCapacity: Int?
    @Option(help: "Bytes the spool may hold before uploads get 503.") var spoolLimitBytes: Int64?
    @Option(help: "Largest upload, bytes (413 beyond).") var maxUploadBytes: Int64?
    @Option(help: "Longest take, seconds (413 beyond).") var maxDurationSeconds: Double?
    @Option(help: "Seconds a client has to send a request's headers (0: no limit; default 10).") var headerTimeout: Double?
    @Option(help: "Seconds a kept-alive connection may sit idle between requests (0: no limit; default 60).") var idleTimeout: Double?
    @Option(help: "Slowest request body accepted, bytes per second on average (0: no limit; default 16384).") var bodyMinRate: Int64?
    @Option(help: "Seconds a body may fall behind --body-min-rate before the connection is closed (default 30).") var bodyStallSeconds: Double?
    @Option(help: "Seconds a response may wait on a client that stopped reading before the connection is closed (0: no limit; default 30).")
    var sendStallSeconds: Double?
    @Option(help: "Artefact transfers under way at once; the next gets 503 (default 64).") var maxTransfers: Int?
    @Option(help: "Connections open at once; the next gets 503 (default 512, fewer if the open-file limit is low).") var maxConnections: Int?
    @Flag(help: "Let callbacks reach loopback, private and link-local addresses (off: only public addresses).")
    var allowPrivateCallbacks = false

    /// `serve` has no `--json`: failures are reported as text.
    var json: Bool { false }

    func execute() async throws {
        let opened = try vault.open()
        var configuration = RelayConfiguration()
        let (host, port) = try Self.parse(listen: listen)
        configuration.host = host
        configuration.port = port
        if let name = node ?? Environment.current["TAKEVAULT_NODE"] {
            // A label in metrics and a value in the catalog: short, printable, no quoting needed.
            guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy({ $0 == 0x2d || $0 == 0x2e || $0 == 0x5f || (0x30...0x39).contains($0)
                || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }) else {
                throw RelayConfigurationError.invalid(name: "--node", problem: "1–64 letters, digits, '.', '-' or '_'")
            }
            configuration.node = name
        }
        if let leaseSeconds {
            guard (10...3_600).contains(leaseSeconds) else { throw RelayConfigurationError.invalid(name: "--lease-seconds", problem: "10–3600") }
            configuration.leaseSeconds = leaseSeconds
        }
        if let workers {
            guard workers >= 0, workers <= 64 else { throw RelayConfigurationError.invalid(name: "--workers", problem: "0–64") }
            configuration.workers = workers
        }
        if let maxTransfers {
            guard (1...100_000).contains(maxTransfers) else { throw RelayConfigurationError.invalid(name: "--max-transfers", problem: "1–100000") }
            configuration.maximumTransfers = maxTransfers
        }
        if let queueCapacity {
            guard queueCapacity >= 1 else { throw RelayConfigurationError.invalid(name: "--queue-capacity", problem: "at least 1") }
            configuration.queueCapacity = queueCapacity
        }
        if let spoolLimitBytes {
            guard spoolLimitBytes >= 1 else { throw RelayConfigurationError.invalid(name: "--spool-limit-bytes", problem: "at least 1") }
            configuration.spoolLimitBytes = spoolLimitBytes
        }
        if let maxUploadBytes {
            guard maxUploadBytes >= 1 else { throw RelayConfigurationError.invalid(name: "--max-upload-bytes", problem: "at least 1") }
            configuration.maxUploadBytes = maxUploadBytes
        }
        if let maxDurationSeconds {
            guard maxDurationSeconds > 0, maxDurationSeconds.isFinite else { throw RelayConfigurationError.invalid(name: "--max-duration-seconds", problem: "a positive number") }
            configuration.maxDurationSeconds = maxDurationSeconds
        }
        configuration.connectionLimits = try connectionLimits()
        configuration.callbacksMayReachPrivateAddresses = allowPrivateCallbacks
        let keyFile = relayKeys ?? Environment.current["TAKEVAULT_RELAY_KEYS"] ?? opened.root + "/relays.json"
        configuration.relays = try RelayKeyFile.load(keyFile)
        guard !configuration.relays.isEmpty else { throw RelayConfigurationError.noRelays(path: keyFile) }
        let options = vault
        let server = RelayServer(vault: opened, configuration: configuration, openVault: { try options.open() })
        try await server.run { host, port in
            FileDescriptorOutput.standardOutput.write("listening on http://\(host):\(port)\n")
        }
    }

    /// The connection limits from the options, within what the process may open: the open-file
    /// limit is raised to its hard maximum, and the default cap stays below it with room for the
    /// catalog, the spool and the store.
    func connectionLimits() throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        func duration(_ value: Double?, _ name: String) throws -> Duration?? {
            guard let value else { return .none }
            guard value >= 0, value <= 86_400 else { throw RelayConfigurationError.invalid(name: name, problem: "0–86400 seconds") }
            return .some(value == 0 ? nil : .milliseconds(Int64(value * 1000)))
        }
        if let header = try duration(headerTimeout, "--header-timeout") { limits.headerTimeout = header }
        if let idle = try duration(idleTimeout, "--idle-timeout") { limits.idleTimeout = idle }
        if let stall = try duration(sendStallSeconds, "--send-stall-seconds") { limits.sendStallTimeout = stall }
        if let bodyStallSeconds {
            guard bodyStallSeconds >= 1, bodyStallSeconds <= 86_400 else {
                throw RelayConfigurationError.invalid(name: "--body-stall-seconds", problem: "1–86400 seconds (turn the rate off with --body-min-rate 0)")
            }
            limits.bodyStallAllowance = .milliseconds(Int64(bodyStallSeconds * 1000))
        }
        if let bodyMinRate {
            guard bodyMinRate >= 0 else { throw RelayConfigurationError.invalid(name: "--body-min-rate", problem: "0 or more bytes per second") }
            limits.minimumBodyBytesPerSecond = bodyMinRate
        }
        let openFiles = OpenFileLimit.raiseToMaximum()
        if let maxConnections {
            guard maxConnections >= 1, maxConnections <= openFiles - OpenFileLimit.reserved else {
                throw RelayConfigurationError.invalid(name: "--max-connections", problem: "1–\(openFiles - OpenFileLimit.reserved) (the open-file limit is \(openFiles))")
            }
            limits.maximumConnections = maxConnections
        } else {
            limits.maximumConnections = max(1, min(limits.maximumConnections, openFiles - OpenFileLimit.reserved))
        }
        return limits
    }

    static func parse(listen: String) throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw RelayConfigurationError.invalid(name: "--listen", problem: "\(listen) is not HOST:PORT")
        }
        let host = String(listen[..<colon]).trimmingBrackets()
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

extension String {
    /// `[::1]` → `::1`.
    func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
