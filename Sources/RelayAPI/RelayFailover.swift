import AsyncHTTPClient

/// Several nodes of one vault, as a relay reaches them: uploads spread over the nodes (each starts
/// at the node its index picks) and fail over — a node that cannot be reached, or that answers
/// `503`, passes the upload to the next, with the same idempotency key, so an upload whose `202`
/// was lost with its node is recognised by another as the job it already is. When every node
/// refused in one round and one of them was busy (`503`), it waits (the shortest `Retry-After`
/// given, at most 5 s) and goes round again, until `patience` runs out; when none was busy (all
/// unreachable or failing), it gives up at once with the last failure, as one relay would.
///
/// Nodes share the catalog, so any of them answers for any job: following a job fails over too.
public struct RelayFailover: Sendable {
    public let clients: [RelayClient]

    public init(urls: [String], credentials: RelayCredentials, httpClient: HTTPClient = .shared) {
        precondition(!urls.isEmpty, "at least one relay URL")
        clients = urls.map { RelayClient(baseURL: $0, credentials: credentials, httpClient: httpClient) }
    }

    /// Uploads `file`, starting at node `spread % count`; returns the acceptance and the node that gave it.
    public func upload(file: String, metadata: UploadMetadata, idempotencyKey: String, spread: Int,
                       patience: Duration = .seconds(600)) async throws -> (accepted: AcceptedUpload, client: RelayClient) {
        let bodySHA256 = try RelayClient.sha256(file: file)
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        while true {
            // Every node once; the shortest wait any busy node asked for, or 1 s after failures only.
            var wait: Int?
            var lastFailure: RelayClientError?
            for offset in 0..<clients.count {
                let client = clients[(spread % clients.count + offset) % clients.count]
                do {
                    switch try await client.uploadOnce(file: file, bodySHA256: bodySHA256, metadata: metadata, idempotencyKey: idempotencyKey) {
                    case .accepted(let accepted): return (accepted, client)
                    case .busy(let retryAfter): wait = min(wait ?? retryAfter, retryAfter)
                    }
                } catch let failure as RelayClientError where Self.passesOn(failure) {
                    lastFailure = failure
                }
            }
            // No node busy, every one failed: there is nothing to wait for (as with one relay).
            if wait == nil, let lastFailure { throw lastFailure }
            let pause = Duration.seconds(min(wait ?? 1, 5))
            guard clock.now + pause < deadline else { throw RelayClientError.busy(seconds: Int(patience.components.seconds)) }
            try await Task.sleep(for: pause)
        }
    }

    /// The job, from `preferred` or, when it cannot be reached, any other node.
    public func job(_ id: String, preferred: RelayClient? = nil) async throws -> JobDocument {
        var lastFailure: (any Error)?
        let order = (preferred.map { [$0] } ?? []) + clients.filter { $0.baseURL != preferred?.baseURL }
        for client in order {
            do { return try await client.job(id) } catch let failure as RelayClientError where Self.passesOn(failure) {
                lastFailure = failure
            }
        }
        throw lastFailure ?? RelayClientError.busy(seconds: 0)
    }

    /// Polls the job (failing over between nodes) until it is final or parked, reporting each answer.
    public func waitForJob(_ id: String, preferred: RelayClient? = nil, interval: Duration = .milliseconds(250),
                           onUpdate: @Sendable (JobDocument) -> Void = { _ in }) async throws -> JobDocument {
        while true {
            let document = try await job(id, preferred: preferred)
            onUpdate(document)
            if document.isFinal || document.state == .parked { return document }
            try await Task.sleep(for: interval)
        }
    }

    /// Whether another node may succeed where this one failed: it could not be reached, it was
    /// busy or unavailable (`503`), or it failed on its side (`5xx`).
    static func passesOn(_ failure: RelayClientError) -> Bool {
        switch failure {
        case .unreachable, .busy: true
        case .refused(let status, _, _): status >= 500
        case .unexpectedResponse(let status, _): status >= 500 || status == 0
        default: false
        }
    }
}
