import Crypto
import TakevaultCore
import NIOCore

/// Multipart uploads: large objects go up in parts, several at once, and an upload that fails is
/// aborted so no invisible parts are left to be billed. `abortStaleUploads` sweeps what a crash left.
extension S3Store {
    /// Parts uploaded at once by one multipart upload.
    static let partsInFlight = 4

    /// Uploads `size` bytes in parts of the configured size, reading each with `readPart(offset,
    /// count)` just before sending it: memory holds at most ``partsInFlight`` parts.
    func putMultipart(_ name: String, size: Int64, tags: ObjectTags, createOnly: Bool,
                      readPart: @escaping @Sendable (Int64, Int) throws -> [UInt8]) async throws {
        // S3 checks If-None-Match when the upload completes; asking first spares the transfer.
        if createOnly, try await etag(of: name) != nil { throw StoreError.alreadyExists(name) }
        let uploadID = try await createUpload(name, tags: tags)
        do {
            let partSize = Int64(configuration.partSize)
            let count = Int((size + partSize - 1) / partSize)
            var etags = [String](repeating: "", count: count)
            var md5s = [[UInt8]](repeating: [], count: count)
            try await withThrowingTaskGroup(of: (Int, String, [UInt8]).self) { group in
                var next = 0
                func startPart(_ index: Int) {
                    group.addTask {
                        let offset = Int64(index) * partSize
                        let length = Int(min(partSize, size - offset))
                        let bytes = try readPart(offset, length)
                        buffered.add(bytes.count)
                        defer { buffered.add(-bytes.count) }
                        let etag = try await uploadPart(name, uploadID: uploadID, number: index + 1, bytes: bytes)
                        return (index, etag, Self.md5(bytes))
                    }
                }
                while next < min(Self.partsInFlight, count) { startPart(next); next += 1 }
                while let (index, etag, md5) = try await group.next() {
                    etags[index] = etag
                    md5s[index] = md5
                    if next < count { startPart(next); next += 1 }
                }
            }
            try await completeUpload(name, uploadID: uploadID, etags: etags, partMD5s: md5s, createOnly: createOnly)
        } catch {
            try? await abortUpload(name, uploadID: uploadID)
            throw error
        }
    }

    func createUpload(_ name: String, tags: ObjectTags) async throws -> String {
        let request = S3Request(method: .POST, key: key(name), query: [("uploads", "")],
                                headers: [("x-amz-tagging", Self.taggingHeader(tags)), ("content-type", "application/octet-stream")])
        let response = try await transport.send(request, operation: "start multipart upload of", name: name)
        guard response.status == 200, let id = S3XML.parse(response.body)?.value("UploadId") else {
            throw failure(response, operation: "start multipart upload of", name: name)
        }
        return id
    }

    private func uploadPart(_ name: String, uploadID: String, number: Int, bytes: [UInt8]) async throws -> String {
        let request = S3Request(method: .PUT, key: key(name), query: [("partNumber", "\(number)"), ("uploadId", uploadID)], body: bytes)
        let response = try await transport.send(request, operation: "upload part \(number) of", name: name)
        guard response.status == 200, let etag = response.headers.first(name: "etag") else {
            throw failure(response, operation: "upload part \(number) of", name: name)
        }
        return etag
    }

    private func completeUpload(_ name: String, uploadID: String, etags: [String], partMD5s: [[UInt8]], createOnly: Bool) async throws {
        let body = S3XML.completeMultipart(parts: etags.enumerated().map { ($0.offset + 1, $0.element) })
        var headers: [(name: String, value: String)] = [("content-type", "application/xml")]
        if createOnly { headers.append(("if-none-match", "*")) }
        let request = S3Request(method: .POST, key: key(name), query: [("uploadId", uploadID)], headers: headers, body: body)
        let response = try await transport.send(request, operation: "complete multipart upload of", name: name)
        // S3 may answer 200 and still report an error in the body.
        let root = S3XML.parse(response.body)
        if response.status == 200, root?.name != "Error" { return }
        // A retry after a lost answer finds the upload gone (it completed): the object's ETag says
        // whether it is this one (MD5 of the parts' MD5s, dash, part count).
        if response.attempts > 1, response.status == 404 || response.status == 412 {
            let expected = Self.md5(partMD5s.flatMap { $0 }).hex + "-\(etags.count)"
            if try await etag(of: name) == expected { return }
        }
        if createOnly, response.status == 412 { throw StoreError.alreadyExists(name) }
        throw failure(response, operation: "complete multipart upload of", name: name)
    }

    private func abortUpload(_ name: String, uploadID: String) async throws {
        let request = S3Request(method: .DELETE, key: key(name), query: [("uploadId", uploadID)])
        let response = try await transport.send(request, operation: "abort multipart upload of", name: name)
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw failure(response, operation: "abort multipart upload of", name: name)
        }
    }

    /// Multipart uploads under the store's prefix that are still open.
    public func pendingUploads() async throws -> [PendingUpload] {
        var results: [PendingUpload] = []
        var keyMarker: String?
        var uploadMarker: String?
        repeat {
            var query: [(name: String, value: String)] = [("uploads", ""), ("prefix", configuration.prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadMarker { query.append(("upload-id-marker", uploadMarker)) }
            let response = try await transport.send(S3Request(method: .GET, key: nil, query: query), operation: "list multipart uploads in", name: "/")
            guard response.status == 200, let root = S3XML.parse(response.body) else { throw failure(response, operation: "list multipart uploads in", name: "/") }
            for upload in root.all("Upload") {
                guard let key = upload.value("Key"), let id = upload.value("UploadId"), key.hasPrefix(configuration.prefix) else { continue }
                results.append(PendingUpload(name: String(key.dropFirst(configuration.prefix.count)), uploadID: id,
                                             initiated: upload.value("Initiated").flatMap(HTTPDates.iso8601)))
            }
            let truncated = root.value("IsTruncated") == "true"
            keyMarker = truncated ? root.value("NextKeyMarker") : nil
            uploadMarker = truncated ? root.value("NextUploadIdMarker") : nil
        } while keyMarker != nil
        return results
    }

    /// Aborts the listed multipart uploads (one already completed or aborted answers 404: fine).
    public func abort(_ uploads: [PendingUpload]) async throws {
        for upload in uploads { try await abortUpload(upload.name, uploadID: upload.uploadID) }
    }

    static func md5(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }
}
