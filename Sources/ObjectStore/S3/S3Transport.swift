import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One S3 request as ``S3Transport`` sends it: what, where, which headers, which body.
struct S3Request: Sendable {
    var method: HTTPMethod
    /// The object key within the bucket (prefix included), or `nil` for a bucket-level request.
    var key: String?
    var query: [(name: String, value: String)] = []
    var headers: [(name: String, value: String)] = []
    var body: [UInt8]? = nil
    /// Whether sending it twice has the same effect as once. Requests that are not (none today)
    /// are sent once; conditional ones are retried and the caller resolves a conflict.
    var idempotent = true
}

/// An S3 answer: status, headers, body (collected).
struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// How many attempts it took; more than one means an earlier attempt may have reached S3.
    var attempts: Int

    /// The `<Code>` and `<Message>` of an S3 error document, or the status alone.
    var errorDetail: String {
        if let root = S3XML.parse(body), root.name == "Error" {
            return [root.value("Code"), root.value("Message")].compactMap { $0 }.joined(separator: ": ")
        }
        return "HTTP \(status)"
    }

    var errorCode: String? {
        guard let root = S3XML.parse(body), root.name == "Error" else { return nil }
        return root.value("Code")
    }
}

/// Signs, sends and retries S3 requests over AsyncHTTPClient, never more than the configured number
/// in flight.
///
/// Retried with backoff and jitter (``RetryPolicy``): 5xx answers, 429 and `SlowDown`, connection
/// failures, resets and timeouts — the failures where trying again can succeed. Every S3 request
/// takevault sends is idempotent or made safe by its condition (see ``S3Store``).
struct S3Transport: Sendable {
    let configuration: S3Configuration
    let signer: SigV4Signer
    let limiter: ConcurrencyLimiter
    let client: HTTPClient
    let logger = Logger(label: "takevault.s3")

    init(configuration: S3Configuration, client: HTTPClient = .shared) {
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
        self.client = client
    }

    /// The path for `key` (or the bucket), encoded as sent and as signed.
    func encodedPath(key: String?) -> String {
        let bucketPath = configuration.bucketPath
        guard let key else { return bucketPath.isEmpty ? "/" : bucketPath + "/" }
        return bucketPath + "/" + SigV4Signer.encodePath(key)
    }

    /// Sends `request`, retrying what may succeed on a second try. Returns whatever status S3
    /// finally answered with; throws ``StoreError`` when no answer came.
    func send(_ request: S3Request, operation: String, name: String) async throws -> S3Response {
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<S3Response, any Error>
            do {
                var response = try await limiter.withSlot { try await once(request) }
                response.attempts = attempt
                outcome = .success(response)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                outcome = .failure(error)
            }
            let retryable: Bool
            switch outcome {
            case .success(let response):
                retryable = response.status >= 500 || response.status == 429 || response.errorCode == "SlowDown"
                if !retryable || attempt >= configuration.retry.maxAttempts || !request.idempotent { return response }
            case .failure(let error):
                if attempt >= configuration.retry.maxAttempts || !request.idempotent {
                    throw StoreError.io(operation: operation, name: name, detail: "\(Self.describe(error)) (after \(attempt) attempt\(attempt == 1 ? "" : "s"))")
                }
            }
            let seconds = configuration.retry.delay(beforeRetry: attempt - 1)
            let reason: String
            switch outcome {
            case .success(let response): reason = "HTTP \(response.status) \(response.errorCode ?? "")"
            case .failure(let error): reason = Self.describe(error)
            }
            logger.warning("retrying S3 request", metadata: [
                "operation": "\(operation)", "object": "\(name)", "attempt": "\(attempt + 1)/\(configuration.retry.maxAttempts)",
                "after": "\(reason)", "delay_ms": "\(Int(seconds * 1_000))",
            ])
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        }
    }

    /// One attempt: sign with the current time, send, collect the answer.
    private func once(_ request: S3Request) async throws -> S3Response {
        let payloadHash: String
        if let body = request.body, !body.isEmpty {
            payloadHash = configuration.skipsPayloadHash ? SigV4Signer.unsignedPayload : SigV4Signer.hexSHA256(body)
        } else {
            payloadHash = SigV4Signer.emptyPayloadHash
        }
        var http = signed(request, payloadHash: payloadHash)
        if let body = request.body {
            http.body = .bytes(ByteBuffer(bytes: body))
        } else if request.method == .PUT || request.method == .POST {
            http.body = .bytes(ByteBuffer())
        }

        let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout * 1e9))
        let response = try await client.execute(http, timeout: timeout)
        return S3Response(status: Int(response.status.code), headers: response.headers, body: try await Self.collect(response), attempts: 1)
    }

    /// The most a response's `Content-Length` may reserve before any of its bytes arrived.
    static let largestReservation = 64 << 20

    /// The response's body in one array, each received buffer copied once into it. (NIO's
    /// `collect` grows a buffer by doubling as it goes and `readBytes` copies that again: three
    /// copies and the page faults of every size on the way, measured at 17 % of the relay's CPU
    /// serving takes from S3.) The declared length only sizes the array, up to
    /// ``largestReservation``: the bytes that arrive are what counts.
    private static func collect(_ response: HTTPClientResponse) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let declared = response.headers.first(name: "content-length").flatMap(Int.init), declared > 0 {
            bytes.reserveCapacity(min(declared, largestReservation))
        }
        for try await fragment in response.body {
            fragment.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// `request` as an HTTP request signed now (its body is the caller's to attach).
    private func signed(_ request: S3Request, payloadHash: String) -> HTTPClientRequest {
        let path = encodedPath(key: request.key)
        let amzDate = SigV4Signer.amzDate(secondsSince1970: Int64(time(nil)))
        var headers = request.headers
        headers.append(("host", configuration.hostHeader))
        headers.append(("x-amz-date", amzDate))
        headers.append(("x-amz-content-sha256", payloadHash))
        if let token = configuration.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signature = signer.sign(
            SigV4Signer.Request(method: request.method.rawValue, encodedPath: path, query: request.query, headers: headers, payloadHash: payloadHash),
            amzDate: amzDate
        )
        let query = SigV4Signer.canonicalQuery(request.query)
        let base = "\(configuration.scheme)://\(configuration.addressing == .virtualHost ? configuration.bucket + "." : "")\(configuration.host):\(configuration.port)"
        var http = HTTPClientRequest(url: base + path + (query.isEmpty ? "" : "?" + query))
        http.method = request.method
        for (name, value) in headers where name != "host" { http.headers.add(name: name, value: value) }
        http.headers.replaceOrAdd(name: "Host", value: configuration.hostHeader)
        http.headers.add(name: "Authorization", value: signature.authorization)
        return http
    }

    /// Streams the body of a GET into `sink`, retrying the request as a whole on failure before any
    /// byte reached the sink, and resuming with a range after.
    func stream(key: String, name: String, operation: String, into sink: (ByteBuffer) async throws -> Void) async throws {
        var received: Int64 = 0
        var attempt = 0
        while true {
            attempt += 1
            do {
                let range: [(name: String, value: String)] = received > 0 ? [("range", "bytes=\(received)-")] : []
                let http = signed(S3Request(method: .GET, key: key, headers: range), payloadHash: SigV4Signer.emptyPayloadHash)
                await limiter.acquire()
                do {
                    let response = try await client.execute(http, timeout: .nanoseconds(Int64(configuration.requestTimeout * 1e9)))
                    let status = Int(response.status.code)
                    if status == 404 { throw StoreError.notFound(name) }
                    if received > 0 && status == 200 {
                        // The server ignored the resume's range: appending would duplicate bytes.
                        throw StoreError.remote(operation: operation, name: name, status: status, detail: "the range to resume from was not honoured")
                    }
                    guard status == 200 || status == 206 else {
                        var body = try await response.body.collect(upTo: 1 << 20)
                        let detail = S3Response(status: status, headers: response.headers, body: body.readBytes(length: body.readableBytes) ?? [], attempts: attempt)
                        if status >= 500 || status == 429, attempt < configuration.retry.maxAttempts { throw RetryableStatus(status: status) }
                        throw StoreError.remote(operation: operation, name: name, status: status, detail: detail.errorDetail)
                    }
                    for try await buffer in response.body {
                        try await sink(buffer)
                        received += Int64(buffer.readableBytes)
                    }
                    await limiter.release()
                    return
                } catch {
                    await limiter.release()
                    throw error
                }
            } catch let error as StoreError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if attempt >= configuration.retry.maxAttempts {
                    throw StoreError.io(operation: operation, name: name, detail: "\(Self.describe(error)) (after \(attempt) attempts)")
                }
                try await Task.sleep(nanoseconds: UInt64(configuration.retry.delay(beforeRetry: attempt - 1) * 1e9))
            }
        }
    }

    private struct RetryableStatus: Error { var status: Int }

    static func describe(_ error: any Error) -> String {
        if let status = error as? RetryableStatus { return "HTTP \(status.status)" }
        return String(describing: error)
    }

    /// Base64 of the MD5 of `bytes`: the `Content-MD5` S3 requires on some requests.
    static func contentMD5(_ bytes: [UInt8]) -> String {
        Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
    }
}
