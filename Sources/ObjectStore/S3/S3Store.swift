import Crypto
import TakevaultCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ``ObjectStore`` on any S3-compatible service (AWS S3, SeaweedFS, MinIO …).
///
/// Object `name` is key `prefix + name` in the bucket. Tags travel as S3 object tags
/// (`x-amz-tagging` on put, PutObjectTagging to re-tag). A create-only put sends
/// `If-None-Match: *`, which S3 evaluates atomically: of two racing writers one gets `412`.
/// Objects larger than the part size go up as multipart uploads (see `S3Store+Multipart`).
///
/// Retries (``S3Transport``) are safe for every request here: GET, HEAD, DELETE, tagging and plain
/// PUT are idempotent; a retried create-only PUT that meets `412` checks whether the object that
/// exists is its own (its ETag is the MD5 of this body) before reporting ``StoreError/alreadyExists(_:)``.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    let transport: S3Transport
    /// Bytes of object data this store holds in memory at once, and the most it ever held.
    public let buffered = BufferGauge()

    public init(configuration: S3Configuration) {
        self.configuration = configuration
        self.transport = S3Transport(configuration: configuration)
    }

    public var keyPrefix: String { configuration.prefix }

    func key(_ name: String) -> String { configuration.prefix + name }

    // MARK: Put

    public func put(_ name: String, data: [UInt8], tags: ObjectTags, createOnly: Bool) async throws {
        try ObjectName.validate(name)
        if data.count > configuration.partSize {
            try await putMultipart(name, size: Int64(data.count), tags: tags, createOnly: createOnly) { offset, count in
                Array(data[Int(offset)..<Int(offset) + count])
            }
            return
        }
        buffered.add(data.count)
        defer { buffered.add(-data.count) }
        var headers: [(name: String, value: String)] = [("x-amz-tagging", Self.taggingHeader(tags)), ("content-type", "application/octet-stream")]
        if createOnly { headers.append(("if-none-match", "*")) }
        let response = try await transport.send(S3Request(method: .PUT, key: key(name), headers: headers, body: data), operation: "put", name: name)
        switch response.status {
        case 200:
            return
        case 412 where createOnly:
            // Lost a race, or an earlier attempt of this very put landed and only its answer was
            // lost: the latter left an object whose ETag is the MD5 of these bytes.
            if response.attempts > 1, try await etag(of: name) == Self.md5Hex(data) {
                transport.logger.info("create-only put landed on an earlier attempt", metadata: ["object": "\(name)"])
                return
            }
            throw StoreError.alreadyExists(name)
        default:
            throw failure(response, operation: "put", name: name)
        }
    }

    // MARK: Get

    public func get(_ name: String) async throws -> [UInt8] {
        try ObjectName.validate(name)
        let response = try await transport.send(S3Request(method: .GET, key: key(name)), operation: "get", name: name)
        guard response.status == 200 else { throw failure(response, operation: "get", name: name) }
        return response.body
    }

    public func get(_ name: String, range: Range<Int64>) async throws -> [UInt8] {
        try ObjectName.validate(name)
        guard range.lowerBound < range.upperBound else { return [] }
        let request = S3Request(method: .GET, key: key(name), headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        let response = try await transport.send(request, operation: "get", name: name)
        switch response.status {
        case 200: return Array(response.body[Int(min(range.lowerBound, Int64(response.body.count)))..<Int(min(range.upperBound, Int64(response.body.count)))])
        case 206: return response.body
        case 416: return []   // the range starts past the end: clamped to nothing
        default: throw failure(response, operation: "get", name: name)
        }
    }

    // MARK: Head, tags

    public func head(_ name: String) async throws -> ObjectInfo? {
        try ObjectName.validate(name)
        let response = try await transport.send(S3Request(method: .HEAD, key: key(name)), operation: "head", name: name)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure(response, operation: "head", name: name) }
        let size = Int64(response.headers.first(name: "content-length") ?? "") ?? 0
        let modified = response.headers.first(name: "last-modified").flatMap(HTTPDates.rfc1123)
        guard let tags = try await getTags(name) else { return nil }
        return ObjectInfo(name: name, size: size, tags: tags, lastModified: modified)
    }

    /// The object's tags, or `nil` when it does not exist.
    func getTags(_ name: String) async throws -> ObjectTags? {
        let response = try await transport.send(S3Request(method: .GET, key: key(name), query: [("tagging", "")]), operation: "get tags of", name: name)
        if response.status == 404 { return nil }
        guard response.status == 200, let root = S3XML.parse(response.body) else { throw failure(response, operation: "get tags of", name: name) }
        var values: [String: String] = [:]
        for tag in root.child("TagSet")?.all("Tag") ?? [] {
            if let key = tag.value("Key") { values[key] = tag.value("Value") ?? "" }
        }
        // Tags are not authenticated: one takevault never writes is a damaged object, not a guess.
        guard let tier = values["tier"].flatMap(Tier.init(rawValue:)) else {
            throw StoreError.remote(operation: "get tags of", name: name, status: response.status, detail: "no valid tier tag")
        }
        guard let kind = values["kind"].flatMap(ObjectKind.init(rawValue:)) else {
            throw StoreError.remote(operation: "get tags of", name: name, status: response.status, detail: "no valid kind tag")
        }
        return ObjectTags(owner: values["owner"] ?? "", tier: tier, kind: kind,
                          retainUntil: values["retain-until"], region: values["region"], held: values["held"] == "yes")
    }

    public func setTags(_ name: String, tags: ObjectTags) async throws {
        try ObjectName.validate(name)
        let body = S3XML.tagging(tags.pairs)
        let request = S3Request(method: .PUT, key: key(name), query: [("tagging", "")],
                                headers: [("content-md5", S3Transport.contentMD5(body)), ("content-type", "application/xml")], body: body)
        let response = try await transport.send(request, operation: "tag", name: name)
        if response.status == 404 { throw StoreError.notFound(name) }
        guard response.status == 200 || response.status == 204 else { throw failure(response, operation: "tag", name: name) }
    }

    /// CopyObject onto itself with the metadata and tagging directives `REPLACE`: S3 copies
    /// server-side, and the copy is a new write (single-request copies reach 5 GiB, far above the
    /// chunk size).
    public func renew(_ name: String, tags: ObjectTags) async throws {
        try ObjectName.validate(name)
        let source = SigV4Signer.uriEncode("/\(configuration.bucket)/\(key(name))", keepSlash: true)
        let request = S3Request(method: .PUT, key: key(name), headers: [
            ("x-amz-copy-source", source), ("x-amz-metadata-directive", "REPLACE"), ("x-amz-tagging-directive", "REPLACE"),
            ("x-amz-tagging", Self.taggingHeader(tags)), ("content-type", "application/octet-stream"),
        ])
        let response = try await transport.send(request, operation: "renew", name: name)
        if response.status == 404 { throw StoreError.notFound(name) }
        // A copy can fail after S3 has answered 200: the error is then in the body.
        guard response.status == 200, S3XML.parse(response.body)?.name != "Error" else { throw failure(response, operation: "renew", name: name) }
    }

    // MARK: Delete

    public func delete(_ name: String) async throws {
        try ObjectName.validate(name)
        let response = try await transport.send(S3Request(method: .DELETE, key: key(name)), operation: "delete", name: name)
        guard response.status == 204 || response.status == 200 || response.status == 404 else { throw failure(response, operation: "delete", name: name) }
    }

    /// DeleteObjects, 1,000 keys a request (S3's limit); quiet mode, so only failures come back.
    public func delete(_ names: [String]) async throws {
        for name in names { try ObjectName.validate(name) }
        var start = 0
        while start < names.count {
            let batch = Array(names[start..<min(start + 1_000, names.count)])
            start += batch.count
            let body = S3XML.delete(keys: batch.map(key))
            let request = S3Request(method: .POST, key: nil, query: [("delete", "")],
                                    headers: [("content-md5", S3Transport.contentMD5(body)), ("content-type", "application/xml")], body: body)
            let response = try await transport.send(request, operation: "delete", name: "\(batch.count) objects")
            guard response.status == 200, let root = S3XML.parse(response.body) else {
                throw failure(response, operation: "delete", name: "\(batch.count) objects")
            }
            let failures = root.all("Error").filter { $0.value("Code") != "NoSuchKey" }
            if let first = failures.first {
                throw StoreError.remote(operation: "delete", name: first.value("Key") ?? "?", status: 200,
                                        detail: "\(failures.count) of \(batch.count) not deleted: \(first.value("Code") ?? "") \(first.value("Message") ?? "")")
            }
        }
    }

    // MARK: List

    public func list(prefix: String) async throws -> [ListedObject] {
        var results: [ListedObject] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", configuration.prefix + prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let response = try await transport.send(S3Request(method: .GET, key: nil, query: query), operation: "list", name: prefix.isEmpty ? "/" : prefix)
            guard response.status == 200, let root = S3XML.parse(response.body), root.name == "ListBucketResult" else {
                throw failure(response, operation: "list", name: prefix)
            }
            for entry in root.all("Contents") {
                guard let key = entry.value("Key"), key.hasPrefix(configuration.prefix) else { continue }
                let name = String(key.dropFirst(configuration.prefix.count))
                guard ObjectName.isValid(name) else { continue }   // not takevault's
                results.append(ListedObject(name: name, size: Int64(entry.value("Size") ?? "") ?? 0,
                                            lastModified: entry.value("LastModified").flatMap(HTTPDates.iso8601)))
            }
            token = root.value("IsTruncated") == "true" ? root.value("NextContinuationToken") : nil
        } while token != nil
        return results.sorted { $0.name < $1.name }
    }

    // MARK: Streams

    /// Writes the object to `path` as it arrives: memory stays at one network buffer whatever the
    /// object's size. An interrupted transfer resumes with a range request.
    public func download(_ name: String, to path: String) async throws {
        try ObjectName.validate(name)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw StoreError.io(operation: "create", name: path, detail: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        try await transport.stream(key: key(name), name: name, operation: "get") { buffer in
            try buffer.withUnsafeReadableBytes { try FileDescriptorIO.writeAll(descriptor, $0, name: path) }
        }
        do { try SystemIO.sync(descriptor) } catch let failure as SystemCallFailure {
            throw StoreError.io(operation: "fsync", name: path, detail: failure.detail)
        }
    }

    /// Uploads the file at `path` as object `name`, in parts read one at a time when it is larger
    /// than the part size: memory is bounded by the part size and the parts in flight.
    public func upload(_ name: String, fromFile path: String, tags: ObjectTags, createOnly: Bool) async throws {
        try ObjectName.validate(name)
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreError.io(operation: "open", name: path, detail: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        fstat(descriptor, &status)
        let size = Int64(status.st_size)
        let readPart: @Sendable (Int64, Int) throws -> [UInt8] = { offset, count in
            try FileDescriptorIO.read(descriptor, offset: offset, count: count, name: path, shortMessage: "file shrank while uploading")
        }
        if size <= Int64(configuration.partSize) {
            try await put(name, data: try readPart(0, Int(size)), tags: tags, createOnly: createOnly)
        } else {
            try await putMultipart(name, size: size, tags: tags, createOnly: createOnly, readPart: readPart)
        }
    }

    // MARK: Helpers

    /// The object's ETag without quotes, or `nil` when it does not exist.
    func etag(of name: String) async throws -> String? {
        let response = try await transport.send(S3Request(method: .HEAD, key: key(name)), operation: "head", name: name)
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure(response, operation: "head", name: name) }
        return response.headers.first(name: "etag").map { $0.trimmingCharacters(in: "\"") }
    }

    static func md5Hex(_ bytes: [UInt8]) -> String { Array(Insecure.MD5.hash(data: bytes)).hex }

    /// `owner=…&tier=…` with keys and values encoded, as `x-amz-tagging` wants.
    static func taggingHeader(_ tags: ObjectTags) -> String {
        tags.pairs.map { SigV4Signer.uriEncode($0.key, keepSlash: false) + "=" + SigV4Signer.uriEncode($0.value, keepSlash: false) }.joined(separator: "&")
    }

    /// The typed error for an unexpected answer.
    func failure(_ response: S3Response, operation: String, name: String) -> StoreError {
        switch response.status {
        case 404 where response.errorCode != "NoSuchBucket": .notFound(name)
        case 401, 403: .denied(operation: operation, name: name, detail: response.errorDetail)
        default: .remote(operation: operation, name: name, status: response.status, detail: response.errorDetail)
        }
    }
}

/// Bytes of object data held in memory, and the high-water mark: how tests and benchmarks show that
/// transfers stay flat in object size.
public final class BufferGauge: Sendable {
    private let state = NIOLockedValueBox((current: 0, peak: 0))

    public var current: Int { state.withLockedValue { $0.current } }
    public var peak: Int { state.withLockedValue { $0.peak } }

    func add(_ bytes: Int) {
        state.withLockedValue {
            $0.current += bytes
            $0.peak = max($0.peak, $0.current)
        }
    }

    /// Starts a new high-water mark from what is held now.
    public func resetPeak() { state.withLockedValue { $0.peak = $0.current } }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
