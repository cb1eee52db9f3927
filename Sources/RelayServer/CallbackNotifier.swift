import AsyncHTTPClient
import Crypto
import TakevaultCore
import Logging
import NIOCore
import NIOPosix
import RelayAPI
import ServiceLifecycle
import TakeCatalog

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

/// Delivers a job's final state to its relay's callback URL: `POST`, the job document as JSON,
/// signed with the callback scheme (``CallbackSignature``: the relay's secret, a canonical form no
/// request can share; the job id in `X-Takevault-Job`, so a relay can drop duplicates). Retried
/// with exponential backoff (1, 2, 4, 8, 16 s); a delivery still pending at shutdown is made at the
/// next start.
///
/// The URL is the relay's, so delivery trusts nothing on the way: redirects are never followed;
/// unless ``RelayConfiguration/callbacksMayReachPrivateAddresses`` is set, a host that resolves to
/// any non-public address (``NetworkAddress/isPublic``) gets nothing, and a plain-http delivery
/// connects to the very address that was checked (the `Host` header keeps the name), so a DNS
/// answer that changes between check and connect cannot redirect it. (https keeps the name for
/// TLS: a certificate for the relay's name is what an internal host cannot present.)
final class CallbackNotifier: Service, Sendable {
    let jobs: RelayJobs
    let board: JobProgressBoard
    let configuration: RelayConfiguration
    let logger: Logger
    let attempts = 6
    private let client: HTTPClient
    private let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init(jobs: RelayJobs, board: JobProgressBoard, configuration: RelayConfiguration, logger: Logger) {
        self.jobs = jobs
        self.board = board
        self.configuration = configuration
        self.logger = logger
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
        (stream, continuation) = AsyncStream.makeStream(of: String.self)
    }

    /// Queues delivery of a finished job's state, if it is pending.
    func notify(_ job: JobRecord) {
        if job.callbackState == .pending { continuation.yield(job.id) }
    }

    func run() async throws {
        for job in await (try? jobs.catalog.jobsAwaitingCallback(kind: RelayJobs.kind)) ?? [] { continuation.yield(job.id) }
        await withDiscardingTaskGroup { group in
            for await id in stream.cancelOnGracefulShutdown() {
                group.addTask { await self.deliver(job: id) }
            }
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    private func deliver(job id: String) async {
        guard let job = try? await jobs.catalog.job(id), job.callbackState == .pending, let relayID = job.relayKeyID,
              let relay = configuration.relay(relayID), let target = relay.callbackURL,
              let document = try? jobs.document(job, progress: nil)
        else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? Array(encoder.encode(document)) else { return }
        var delay = Duration.seconds(1)
        for attempt in 1...attempts {
            if Task.isCancelled { return }
            switch await post(body, job: job.id, to: target, relay: relay) {
            case .delivered:
                await record(job, state: .delivered)
                return
            case .refused(let why):
                logger.warning("callback refused", metadata: ["job_id": "\(job.id)", "relay": "\(relay.keyID)", "why": "\(why)"])
                await record(job, state: .failed)
                return
            case .notDelivered:
                logger.warning("callback not delivered", metadata: ["job_id": "\(job.id)", "attempt": "\(attempt)"])
            }
            if attempt < attempts {
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        await record(job, state: .failed)
    }

    private func record(_ job: JobRecord, state: CallbackState) async {
        var updated = job
        updated.callbackState = state
        try? await jobs.catalog.updateJob(updated)
    }

    enum Outcome {
        case delivered
        case notDelivered
        /// The target is not one takevault may send to: not retried.
        case refused(String)
    }

    private func post(_ body: [UInt8], job: String, to target: CallbackTarget, relay: RelayKey) async -> Outcome {
        var url = target.url
        if !configuration.callbacksMayReachPrivateAddresses {
            let addresses = (try? await NIOThreadPool.singleton.runIfActive { NetworkAddress.resolve(target.host) }) ?? []
            guard let first = addresses.first else { return .notDelivered }
            if let internalAddress = addresses.first(where: { !$0.isPublic }) {
                return .refused("\(target.host) resolves to \(internalAddress), which is not a public address")
            }
            if !target.isHTTPS { url = "http://\(first.urlHost):\(target.port)\(target.pathAndQuery)" }
        }
        let signature = CallbackSignature(path: target.pathAndQuery, timestamp: Int64(time(nil)), nonce: RelayClient.newNonce(), jobID: job,
                                          bodySHA256: Crypto.SHA256.hash(data: body).hexString)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Host", value: target.authority)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: RelayHeaders.date, value: String(signature.timestamp))
        request.headers.add(name: RelayHeaders.nonce, value: signature.nonce)
        request.headers.add(name: RelayHeaders.jobID, value: job)
        request.headers.add(name: RelayHeaders.contentSHA256, value: signature.bodySHA256)
        request.headers.add(name: RelayHeaders.authorization, value: CallbackSignature.authorization(keyID: relay.keyID, signature: signature.sign(secret: relay.secret)))
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(Int(response.status.code)) ? .delivered : .notDelivered
        } catch {
            return .notDelivered
        }
    }
}
