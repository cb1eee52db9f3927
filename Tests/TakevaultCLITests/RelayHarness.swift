import Foundation
import RelayAPI
import RelayTestSupport
import TakePipeline
import Testing
import TestSupport

/// A real `takevault serve` on loopback (port chosen by the kernel) over a fresh vault, with two
/// relays, for the relay tests: relay A may upload for any owner, relay B for `u1` and `team-*`.
final class RelayTestServer: @unchecked Sendable {
    let directory: TestDirectory
    let vault: String
    let arguments: [String]
    let environment: [String: String]
    /// What `init` was given besides the vault (`--store`, `--catalog`).
    let initArguments: [String]
    private(set) var pid: pid_t = 0
    private(set) var url = ""
    /// The running server's log (stderr, at `info`).
    private(set) var logPath = ""
    /// The read end of the server's stdout (kept open so a write there never meets a closed pipe).
    private var output: Int32 = -1
    static let relayA = RelayFixtures.relayA
    static let relayB = RelayFixtures.relayB

    /// Creates the vault and relay keys, then starts the server with `arguments` added.
    /// `environment` is added to the server's (failpoints: `TAKEVAULT_TEST_STOP_AT`).
    /// `vaultName` names the vault's folder in `directory`, and `initArguments` are added to its
    /// `init` (run with `environment`): nodes of one shared vault are servers over folders of one
    /// directory, each initialised with the same `--store` and `--catalog`.
    init(_ arguments: [String] = [], callbackURL: String? = nil, directory: TestDirectory = TestDirectory(), environment: [String: String] = [:],
         vaultName: String = "vault", initArguments: [String] = []) throws {
        self.directory = directory
        vault = directory.file(vaultName)
        self.arguments = arguments
        self.environment = environment
        self.initArguments = initArguments
        let made = run("/usr/bin/env", environment.filter { $0.key != "TAKEVAULT_TEST_STOP_AT" }.map { "\($0.key)=\($0.value)" }
                       + [CLI.binary, "init", "--vault", vault] + initArguments)
        guard made.status == 0 else { throw HarnessError("init failed: \(made.standardError)") }
        // Relay A may upload for every owner; relay B for u1 and the team-* owners only.
        var relayA: [String: Any] = ["key_id": Self.relayA.keyID, "secret": String(decoding: Self.relayA.secret, as: UTF8.self), "owners": ["*"]]
        if let callbackURL { relayA["callback_url"] = callbackURL }
        let relayB: [String: Any] = ["key_id": Self.relayB.keyID, "secret": String(decoding: Self.relayB.secret, as: UTF8.self), "owners": RelayFixtures.relayBOwners]
        let keys = try JSONSerialization.data(withJSONObject: ["relays": [relayA, relayB]])
        guard FileManager.default.createFile(atPath: vault + "/relays.json", contents: keys, attributes: [.posixPermissions: 0o600]),
              FileManager.default.fileExists(atPath: directory.file("relay-a.secret"))
                || FileManager.default.createFile(atPath: directory.file("relay-a.secret"), contents: Data(Self.relayA.secret), attributes: [.posixPermissions: 0o600])
        else { throw HarnessError("cannot write the relay keys") }
        try start()
    }

    /// Starts (or restarts) the server and waits until it listens: it prints `listening on URL` on
    /// stdout (a pipe read here, blocking) once bound; its log goes to a file.
    func start(extra: [String] = []) throws {
        let log = directory.file("serve-\(UInt32.random(in: 0...UInt32.max)).log")
        logPath = log
        if output >= 0 { close(output) }
        (pid, output) = startProcessPiped(CLI.binary, ["serve", "--vault", vault, "--listen", "127.0.0.1:0"] + arguments + extra, logPath: log,
                                          environment: environment.merging(["TAKEVAULT_LOG_LEVEL": "info"]) { mine, _ in mine })
        guard let line = readLine(from: output, startingWith: "listening on ") else {
            killProcess(pid)
            throw HarnessError("serve did not start: \(String(decoding: readBytes(log), as: UTF8.self))")
        }
        url = String(line.dropFirst("listening on ".count))
    }

    /// SIGKILL: no chance to tidy up.
    func crash() {
        killProcess(pid)
        pid = 0
    }

    /// SIGTERM, waiting for a graceful exit; returns the exit status.
    func stop(seconds: Double = 120) -> Int32? {
        defer { pid = 0 }
        return stopProcess(pid, signal: SIGTERM, seconds: seconds)
    }

    /// The port the server listens on.
    var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }

    var client: RelayClient { RelayClient(baseURL: url, credentials: Self.relayA) }
    func client(_ credentials: RelayCredentials) -> RelayClient { RelayClient(baseURL: url, credentials: credentials) }

    /// `takevault push` as relay A.
    func push(_ file: String, owner: String = "u1", tier: String = "pro", _ extra: String...) -> ProcessResult {
        TestSupport.run(CLI.binary, ["push", file, "--relay", url, "--owner", owner, "--tier", tier, "--key-id", Self.relayA.keyID,
                                     "--secret-file", directory.file("relay-a.secret")] + extra)
    }

    /// `takevault fetch` as relay A.
    func fetch(_ arguments: String...) -> ProcessResult {
        TestSupport.run(CLI.binary, ["fetch"] + arguments + ["--relay", url, "--key-id", Self.relayA.keyID, "--secret-file", directory.file("relay-a.secret")])
    }

    /// A signed upload request for `file` (``RelayFixtures/uploadRequest(_:owner:tier:key:)``).
    func uploadRequest(_ file: String, owner: String = "u1", tier: String = "pro", key: String? = nil) throws -> RelayClient.Request {
        try RelayFixtures.uploadRequest(file, owner: owner, tier: tier, key: key)
    }

    /// Takes in the vault, via `takevault ls --json`.
    func takes() -> [TakeSummary] {
        (try? CLI.decode([TakeSummary].self, CLI.run("ls", "--vault", vault, "--json"))) ?? []
    }

    /// Files in the spool (accepted and incoming).
    func spoolFiles() -> [String] { RelayFixtures.spoolFiles(vault: vault) }

    /// The uploads the vault holds: spool files and staged uploads in its folder store (the one
    /// `init --store` named, else the vault's own).
    func heldUploads() -> [String] { RelayFixtures.heldUploads(vault: vault, store: storeFolder) }

    /// ``heldUploads()`` once a finished job's worker has let go (``RelayFixtures/heldUploadsOnceSettled(vault:store:)``).
    func heldUploadsOnceSettled() async -> [String] { await RelayFixtures.heldUploadsOnceSettled(vault: vault, store: storeFolder) }

    /// The folder store `init --store` named, if any (else the vault's own `store/`).
    private var storeFolder: String? {
        let store = initArguments.firstIndex(of: "--store").flatMap { initArguments.indices.contains($0 + 1) ? initArguments[$0 + 1] : nil }
        return store.flatMap { $0.hasPrefix("s3://") ? nil : $0 }
    }

    /// The head of a signed upload of `declaredLength` bytes with SHA-256 `sha256`, as raw HTTP/1.1
    /// (for tests that then send the body as no HTTP client would). `nil` length: chunked.
    func rawUploadHead(owner: String = "u1", declaredLength: Int?, sha256: String, key: String) throws -> String {
        var request = RelayClient.Request(method: .POST, path: "/v1/takes")
        request.bodySHA256 = sha256
        request.metadataHeader = try UploadMetadata(owner: owner, tier: .pro, fileName: "take.wav").headerValue()
        request.idempotencyKey = key
        let signed = client.headers(for: request).map { "\($0.0): \($0.1)\r\n" }.joined()
        let framing = declaredLength.map { "Content-Length: \($0)\r\n" } ?? "Transfer-Encoding: chunked\r\n"
        return "POST /v1/takes HTTP/1.1\r\nHost: 127.0.0.1\r\n" + signed + framing + "\r\n"
    }

    /// A raw, unsigned GET.
    func get(_ path: String) async throws -> RelayClient.Answer {
        try await client.send(RelayClient.Request(method: .GET, path: path), headers: [])
    }

    deinit {
        if pid > 0 { stopProcess(pid, signal: SIGKILL, seconds: 5) }
        if output >= 0 { close(output) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
