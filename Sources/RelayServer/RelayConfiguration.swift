import TakevaultCore

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

/// How `takevault serve` runs: where it listens, how much work it takes on, which relays it trusts.
public struct RelayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the server prints the one it got).
    public var port = 8080
    /// Pipeline workers: takes processed at once. Default one per core.
    public var workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Jobs waiting or in progress before uploads get `503`.
    public var queueCapacity = 64
    /// Artefact transfers under way at once before the next gets `503` (each holds up to two chunks).
    public var maximumTransfers = 64
    /// Bytes the spool may hold (accepted uploads not yet archived, plus uploads arriving).
    public var spoolLimitBytes: Int64 = 16 << 30
    /// The largest upload accepted (`413` beyond it).
    public var maxUploadBytes: Int64 = 4 << 30
    /// The longest take accepted, in seconds (`413` beyond it).
    public var maxDurationSeconds: Double = 6 * 3600
    /// How far a request's signing time may be from the server's clock, in seconds.
    public var allowedClockSkewSeconds: Int64 = 300
    /// What `503` answers advise in `Retry-After`, in seconds.
    public var retryAfterSeconds = 2
    /// A job whose attempt failed for a reason that may pass (store or catalog unavailable, disk
    /// full) is tried again for as long as its upload is held, after a backoff that doubles from
    /// `retryBaseSeconds` per attempt up to `retryCapSeconds`. An operator can cancel it
    /// (`takevault relay jobs --cancel`).
    public var retryBaseSeconds = 1
    public var retryCapSeconds = 300
    /// This server's name among the nodes of one vault (`serve --node`, default the host name):
    /// what its job leases and metrics carry.
    public var node = RelayConfiguration.hostName()
    /// How long a claimed job stays this node's without a renewal, in seconds. Workers renew it
    /// every third of that while they work; a node that dies or stalls longer loses its jobs to
    /// the other nodes.
    public var leaseSeconds = 60

    /// The machine's host name (`node` when none is given).
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "node" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "node" : name
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failed ones.
    public func retryDelaySeconds(afterAttempts attempts: Int) -> Int {
        let doublings = min(max(attempts - 1, 0), 30)
        return min(retryCapSeconds, retryBaseSeconds.multipliedReportingOverflow(by: 1 << doublings).overflow ? retryCapSeconds : retryBaseSeconds << doublings)
    }
    /// The relays allowed to upload.
    public var relays: [RelayKey] = [] {
        didSet { relaysByID = Dictionary(relays.map { ($0.keyID, $0) }, uniquingKeysWith: { first, _ in first }) }
    }
    private var relaysByID: [String: RelayKey] = [:]
    /// Timeouts and the connection cap that keep idle or slow clients from holding the server.
    public var connectionLimits = ConnectionLimits()
    /// Whether callbacks may go to loopback, private, link-local and other non-public addresses.
    /// Off by default: a relay's callback URL must not become a way into the operator's network.
    public var callbacksMayReachPrivateAddresses = false

    public init() {}

    func relay(_ keyID: String) -> RelayKey? { relaysByID[keyID] }
}

/// Why the relay server cannot start.
public enum RelayConfigurationError: ReasonCoded, Equatable {
    case keyFile(path: String, problem: String)
    case noRelays(path: String)
    case invalid(name: String, problem: String)
    case alreadyServing(vault: String)

    public var code: String {
        switch self {
        case .alreadyServing: "relay_already_serving"
        case .keyFile: "relay_key_file_invalid"
        case .noRelays: "relay_keys_missing"
        case .invalid: "invalid_setting"
        }
    }

    public var message: String {
        switch self {
        case .keyFile(let path, let problem): "The relay key file \(path) \(problem)."
        case .noRelays(let path): "No relay keys: \(path) lists none, so no upload could be authenticated."
        case .invalid(let name, let problem): "\(name): \(problem)."
        case .alreadyServing(let vault): "Another takevault serve is running on \(vault); one server per vault (it owns the spool and the job queue)."
        }
    }

    public var category: ErrorCategory {
        if case .alreadyServing = self { return .failure }
        return .usage
    }
}
