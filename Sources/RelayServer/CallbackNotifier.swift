import AsyncHTTPClient
import Crypto
import Logging
import NIOCore
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
/// signed like a request to the server (the job id as idempotency key, so a relay can drop
/// duplicates). Retried with exponential backoff (1, 2, 4, 8, 16 s); a delivery still pending at
/// shutdown is made at the next start.
final class CallbackNotifier: Service, Sendable {
    let jobs: RelayJobs
    let board: JobProgressBoard
    let configuration: RelayConfiguration
    let logger: Logger
    let attempts = 6
    private let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init(jobs: RelayJobs, board: JobProgressBoard, configuration: RelayConfiguration, logger: Logger) {
        self.jobs = jobs
        self.board = board
        self.configuration = configuration
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: String.self)
    }

    /// Queues delivery of a finished job's state, if it is pending.
    func notify(_ job: JobRecord) {
        if job.callbackState == "pending" { continuation.yield(job.id) }
    }

    func run() async throws {
        for job in (try? jobs.catalog.jobsAwaitingCallback(kind: RelayJobs.kind)) ?? [] { continuation.yield(job.id) }
        await withDiscardingTaskGroup { group in
            for await id in stream.cancelOnGracefulShutdown() {
                group.addTask { await self.deliver(job: id) }
            }
            group.cancelAll()
        }
    }

    private func deliver(job id: String) async {
        guard let job = try? jobs.catalog.job(id), job.callbackState == "pending", let relayID = job.relayKeyID,
              let relay = configuration.relay(relayID), let url = relay.callbackURL,
              let document = try? jobs.document(job, progress: nil)
        else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? Array(encoder.encode(document)) else { return }
        var delay = Duration.seconds(1)
        for attempt in 1...attempts {
            if Task.isCancelled { return }
            if await post(body, job: job.id, url: url, relay: relay) {
                var delivered = job
                delivered.callbackState = "delivered"
                try? jobs.catalog.updateJob(delivered)
                return
            }
            logger.warning("callback not delivered", metadata: ["job_id": "\(job.id)", "attempt": "\(attempt)"])
            if attempt < attempts {
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        var failed = job
        failed.callbackState = "failed"
        try? jobs.catalog.updateJob(failed)
    }

    private func post(_ body: [UInt8], job: String, url: String, relay: RelayKey) async -> Bool {
        let path = Self.pathAndQuery(of: url)
        let signature = RelaySignature(method: "POST", path: path, timestamp: Int64(time(nil)), nonce: RelayClient.newNonce(), idempotencyKey: job,
                                       bodySHA256: Crypto.SHA256.hash(data: body).relayHex)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: RelayHeaders.date, value: String(signature.timestamp))
        request.headers.add(name: RelayHeaders.nonce, value: signature.nonce)
        request.headers.add(name: RelayHeaders.idempotencyKey, value: job)
        request.headers.add(name: RelayHeaders.jobID, value: job)
        request.headers.add(name: RelayHeaders.contentSHA256, value: signature.bodySHA256)
        request.headers.add(name: RelayHeaders.authorization, value: RelaySignature.authorization(keyID: relay.keyID, signature: signature.sign(secret: relay.secret)))
        request.body = .bytes(body)
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(Int(response.status.code))
        } catch {
            return false
        }
    }

    /// `/path?query` of an absolute http(s) URL.
    static func pathAndQuery(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "/" }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }
}
