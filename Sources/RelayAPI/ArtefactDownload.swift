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

/// What a download wrote.
public struct DownloadedArtefact: Sendable, Equatable {
    /// `200` (the whole artefact) or `206` (a range of it).
    public var status: Int
    public var bytes: Int64
    /// SHA-256 (hex) of what was written.
    public var sha256: String
    /// The artefact's entity tag (its SHA-256, quoted).
    public var entityTag: String?
    /// `Content-Range` of a `206`.
    public var contentRange: String?
    public var contentType: String?
}

extension RelayClient {
    /// A take's summary (`GET /v1/takes/{take}`) as JSON.
    public func takeSummary(_ take: String) async throws -> JSONValue {
        let answer = try await send(Request(method: .GET, path: "/v1/takes/" + take), timeout: .seconds(60))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JSONValue.self)
    }

    /// One page of `owner`'s takes in `session`; pass the page's `next` as `after` for the following one.
    public func sessionTakes(owner: String, session: String, after: String? = nil, limit: Int? = nil) async throws -> JSONValue {
        var path = "/v1/sessions/\(session)/takes?owner=\(owner)"
        if let limit { path += "&limit=\(limit)" }
        if let after { path += "&after=\(after)" }
        let answer = try await send(Request(method: .GET, path: path), timeout: .seconds(60))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JSONValue.self)
    }

    /// Streams artefact `kind` of `take` (or `range`, as a `Range` header value such as `bytes=0-99`)
    /// into `path`: written to a temporary file beside it and moved into place only once complete —
    /// the whole artefact only if it hashes to its entity tag, a range only if its length is the
    /// one `Content-Range` announced. A broken transfer leaves nothing.
    public func download(take: String, artefact kind: String, range: String? = nil, to path: String,
                         headers extra: [(String, String)] = []) async throws -> DownloadedArtefact {
        // Before asking for anything, and again before the rename: a device node, a FIFO or a
        // socket at `path` is refused, not replaced.
        try Self.checkReplaceable(path)
        var outgoing = HTTPClientRequest(url: baseURL + "/v1/takes/\(take)/artefacts/\(kind)")
        outgoing.method = .GET
        for (name, value) in headers(for: Request(method: .GET, path: "/v1/takes/\(take)/artefacts/\(kind)")) { outgoing.headers.add(name: name, value: value) }
        if let range { outgoing.headers.add(name: "Range", value: range) }
        for (name, value) in extra { outgoing.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do { response = try await httpClient.execute(outgoing, timeout: .hours(6)) } catch {
            throw RelayClientError.unreachable(url: baseURL, detail: String(describing: error))
        }
        guard response.status == .ok || response.status == .partialContent else {
            var body = try await response.body.collect(upTo: 1 << 20)
            let answer = Answer(status: Int(response.status.code), headers: response.headers, body: body.readBytes(length: body.readableBytes) ?? [])
            throw answer.failure ?? RelayClientError.unexpectedResponse(status: answer.status, detail: "no body")
        }
        let temporary = path + ".part-" + RelayClient.newNonce().prefix(12)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RelayClientError.fileUnwritable(path: temporary, detail: String(cString: strerror(errno))) }
        var keep = false
        defer {
            close(descriptor)
            if !keep { unlink(temporary) }
        }
        var hasher = SHA256()
        var written: Int64 = 0
        var writeback = WritebackPacer(descriptor: descriptor)
        do {
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    var offset = 0
                    while offset < raw.count {
                        let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                        if count < 0 && errno == EINTR { continue }
                        guard count > 0 else { throw RelayClientError.fileUnwritable(path: temporary, detail: String(cString: strerror(errno))) }
                        offset += count
                    }
                }
                written += Int64(buffer.readableBytes)
                writeback.wrote(upTo: written)
            }
        } catch let error as RelayClientError {
            throw error
        } catch {
            throw RelayClientError.unreachable(url: baseURL, detail: "the transfer broke off after \(written) bytes (\(error))")
        }
        let digest = Array(hasher.finalize()).hex
        let tag = response.headers.first(name: "etag")
        let contentRange = response.headers.first(name: "content-range")
        if let declared = response.headers.first(name: "content-length").flatMap({ Int64($0) }), declared != written {
            throw RelayClientError.downloadMismatch(detail: "\(written) bytes arrived, \(declared) were announced")
        }
        if response.status == .ok, let tag, tag != "\"" + digest + "\"" {
            throw RelayClientError.downloadMismatch(detail: "the artefact hashes to \(digest), its entity tag is \(tag)")
        }
        try Self.checkReplaceable(path)
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else {
            throw RelayClientError.fileUnwritable(path: path, detail: String(cString: strerror(errno)))
        }
        keep = true
        return DownloadedArtefact(status: Int(response.status.code), bytes: written, sha256: digest, entityTag: tag,
                                  contentRange: contentRange, contentType: response.headers.first(name: "content-type"))
    }

    /// ``AtomicOutput/checkReplaceable(_:)`` as this client's error: only a missing path, a file or
    /// a symbolic link may become the download.
    private static func checkReplaceable(_ path: String) throws {
        do { try AtomicOutput.checkReplaceable(path) } catch let error as SystemError {
            throw RelayClientError.fileUnwritable(path: path, detail: error.detail)
        }
    }
}
