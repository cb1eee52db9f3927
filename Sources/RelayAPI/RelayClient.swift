import AsyncHTTPClient
import Crypto
import NIOCore
import NIOHTTP1
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

/// A relay's identity: its key id and shared secret.
public struct RelayCredentials: Sendable {
    public var keyID: String
    public var secret: [UInt8]

    public init(keyID: String, secret: [UInt8]) {
        self.keyID = keyID
        self.secret = secret
    }
}

/// A client of the relay API (docs/RELAY.md): signs requests, streams uploads from disk, waits
/// out `503 Retry-After`, follows jobs. `takevault push` is built on it.
public struct RelayClient: Sendable {
    public let baseURL: String
    public let credentials: RelayCredentials
    let httpClient: HTTPClient

    public init(baseURL: String, credentials: RelayCredentials, httpClient: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.httpClient = httpClient
    }

    /// The HTTP client the commands use (`takevault push`, `fetch`): `HTTPClient.shared`'s settings
    /// except that a connection that cannot be made fails its request at once, with the reason
    /// (refused, no route), instead of being retried with backoff until the 90-second connect
    /// timeout — `fetch` from a relay that is down took 90 s to say so. A person at a terminal
    /// wants to know now, and push's own retries (503, a broken transfer) are unaffected. Lives as
    /// long as the process, as the shared client does.
    public static let commandLineHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A response: status, headers and the (small, JSON) body.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]

        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do { return try JSONDecoder().decode(type, from: Data(body)) } catch {
                throw RelayClientError.unexpectedResponse(status: status, detail: String(decoding: body.prefix(300), as: UTF8.self))
            }
        }

        /// The error this answer carries, if its status is not a success.
        public var failure: RelayClientError? {
            guard status >= 300 else { return nil }
            if let response = try? JSONDecoder().decode(ErrorResponse.self, from: Data(body)) {
                return .refused(status: status, code: response.error.code, message: response.error.message)
            }
            return .refused(status: status, code: "http_\(status)", message: String(decoding: body.prefix(300), as: UTF8.self))
        }
    }

    /// What to put in a signed request; the signing fields default to now and a fresh nonce.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var path: String
        public var idempotencyKey: String = ""
        public var metadataHeader: String = ""
        public var bodySHA256: String = RelaySignature.emptyBodySHA256
        public var timestamp: Int64 = Int64(time(nil))
        public var nonce: String = RelayClient.newNonce()
        /// The body: a file streamed from disk, or bytes.
        public var file: String?
        public var bytes: [UInt8]?
        /// Send the file without a length (chunked transfer encoding), as a relay streaming a take
        /// it is still reading would.
        public var chunked = false

        public init(method: HTTPMethod, path: String) {
            self.method = method
            self.path = path
        }

        var signature: RelaySignature {
            RelaySignature(method: method.rawValue, path: path, timestamp: timestamp, nonce: nonce, idempotencyKey: idempotencyKey,
                           metadataHeader: metadataHeader, bodySHA256: bodySHA256)
        }
    }

    /// The signed headers of `request` (exposed so tests can build forged variants).
    public func headers(for request: Request) -> [(String, String)] {
        var headers: [(String, String)] = [
            (RelayHeaders.date, String(request.timestamp)),
            (RelayHeaders.nonce, request.nonce),
            (RelayHeaders.contentSHA256, request.bodySHA256),
            (RelayHeaders.authorization, RelaySignature.authorization(keyID: credentials.keyID, signature: request.signature.sign(secret: credentials.secret))),
        ]
        if !request.idempotencyKey.isEmpty { headers.append((RelayHeaders.idempotencyKey, request.idempotencyKey)) }
        if !request.metadataHeader.isEmpty { headers.append((RelayHeaders.metadata, request.metadataHeader)) }
        return headers
    }

    /// Sends `request` signed (or with `headers` in place of the signed ones) and returns the answer.
    public func send(_ request: Request, headers override: [(String, String)]? = nil, timeout: TimeAmount = .seconds(300)) async throws -> Answer {
        var outgoing = HTTPClientRequest(url: baseURL + request.path)
        outgoing.method = request.method
        for (name, value) in override ?? headers(for: request) { outgoing.headers.add(name: name, value: value) }
        if let file = request.file {
            let size = try Self.fileSize(file)
            outgoing.headers.add(name: "Content-Type", value: "application/octet-stream")
            if !request.chunked, size <= Self.wholeBodyLimit {
                // A short take goes as one buffer the HTTP client's event loop writes by itself: no
                // task has to be scheduled to feed it, so a busy process cannot stall the body
                // long enough for the server to give up on it.
                outgoing.body = .bytes(try Self.readWhole(file, size: size))
            } else {
                outgoing.body = .stream(FileBodyStream(path: file), length: request.chunked ? .unknown : .known(Int64(size)))
            }
        } else if let bytes = request.bytes {
            outgoing.headers.add(name: "Content-Type", value: "application/octet-stream")
            outgoing.body = .bytes(bytes)
        }
        do {
            let response = try await httpClient.execute(outgoing, timeout: timeout)
            var body = try await response.body.collect(upTo: 1 << 20)
            return Answer(status: Int(response.status.code), headers: response.headers, body: body.readBytes(length: body.readableBytes) ?? [])
        } catch let error as RelayClientError {
            throw error
        } catch {
            throw RelayClientError.unreachable(url: baseURL, detail: String(describing: error))
        }
    }

    /// Uploads `file` as a take. Waits out `503` answers (honouring `Retry-After`) for up to
    /// `patience`, signing each attempt afresh. Returns the accepted job, or throws the refusal.
    public func upload(file: String, metadata: UploadMetadata, idempotencyKey: String, patience: Duration = .seconds(600)) async throws -> AcceptedUpload {
        let bodySHA256 = try Self.sha256(file: file)
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        while true {
            switch try await uploadOnce(file: file, bodySHA256: bodySHA256, metadata: metadata, idempotencyKey: idempotencyKey) {
            case .accepted(let accepted):
                return accepted
            case .busy(let retryAfter):
                let wait = Duration.seconds(retryAfter)
                guard clock.now + wait < deadline else { throw RelayClientError.busy(seconds: Int(patience.components.seconds)) }
                try await Task.sleep(for: wait)
            }
        }
    }

    /// One upload attempt's outcome short of a refusal.
    public enum UploadAttempt: Sendable {
        case accepted(AcceptedUpload)
        /// `503`: try again after this many seconds (its `Retry-After`, else 1).
        case busy(retryAfter: Int)
    }

    /// Sends the upload once: accepted, busy (`503`), or the refusal thrown.
    public func uploadOnce(file: String, bodySHA256: String, metadata: UploadMetadata, idempotencyKey: String) async throws -> UploadAttempt {
        var request = Request(method: .POST, path: "/v1/takes")
        request.idempotencyKey = idempotencyKey
        request.metadataHeader = try metadata.headerValue()
        request.bodySHA256 = bodySHA256
        request.file = file
        let answer = try await send(request)
        if answer.status == 503 {
            return .busy(retryAfter: max(1, min(Int(answer.headers.first(name: RelayHeaders.retryAfter) ?? "") ?? 1, 3_600)))
        }
        if let failure = answer.failure { throw failure }
        return .accepted(try answer.decode(AcceptedUpload.self))
    }

    /// The job's current state.
    public func job(_ id: String) async throws -> JobDocument {
        let answer = try await send(Request(method: .GET, path: "/v1/jobs/" + id), timeout: .seconds(30))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JobDocument.self)
    }

    /// Polls the job until it reaches a final state or is parked (its owner's processing is
    /// restricted: it waits for the restriction to be lifted, which may take any time), reporting
    /// each answer.
    public func waitForJob(_ id: String, interval: Duration = .milliseconds(250), onUpdate: @Sendable (JobDocument) -> Void = { _ in }) async throws -> JobDocument {
        while true {
            let document = try await job(id)
            onUpdate(document)
            if document.isFinal || document.state == .parked { return document }
            try await Task.sleep(for: interval)
        }
    }

    /// 128 random bits, hex.
    public static func newNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hex
    }

    /// SHA-256 (hex) of a file, read in 1 MiB pieces.
    public static func sha256(file: String) throws -> String {
        do { return try FileDigest.sha256(file).digest.hex } catch let error as SystemError {
            throw RelayClientError.fileUnreadable(path: file, detail: error.detail)
        }
    }

    /// SHA-256 (hex) of bytes.
    public static func sha256(bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }

    /// The idempotency key `push` derives when none is given: SHA-256 (hex) of the owner and the
    /// body's SHA-256, so pushing the same file for the same owner again is recognised as a retry.
    public static func idempotencyKey(owner: String, contentHash: String) -> String {
        sha256(bytes: Array((owner + "\n" + contentHash).utf8))
    }

    /// Files up to this size are sent from memory; larger ones are streamed from disk.
    static let wholeBodyLimit = 4 << 20

    static func readWhole(_ path: String, size: Int) throws -> ByteBuffer {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RelayClientError.fileUnreadable(path: path, detail: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            do { return try SystemIO.fill(descriptor, UnsafeMutableRawBufferPointer(rebasing: raw[0..<size])) } catch let failure as SystemCallFailure {
                throw RelayClientError.fileUnreadable(path: path, detail: failure.detail)
            }
        }
        guard count == size else { throw RelayClientError.fileUnreadable(path: path, detail: "changed while it was read (\(count) of \(size) bytes)") }
        return buffer
    }

    static func fileSize(_ path: String) throws -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else { throw RelayClientError.fileUnreadable(path: path, detail: String(cString: strerror(errno))) }
        return Int(status.st_size)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
