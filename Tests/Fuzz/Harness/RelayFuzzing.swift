import RelayAPI
import TakeArchive
import TakePipeline
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the relay reads from a request before and after authentication: the signing headers and
/// the upload metadata.
enum RelayFuzzing {
    static let secret = Array("fuzz-relay-secret-0123456789abcdef0123".utf8)

    /// Six header values separated by newlines (Authorization, date, nonce, content hash,
    /// idempotency key, metadata); a value that is exactly NUL stands for an absent header.
    static func headers(_ bytes: [UInt8]) {
        let fields = bytes.split(separator: 0x0a, maxSplits: 5, omittingEmptySubsequences: false)
            .map { $0 == [0] ? nil : String(decoding: $0, as: UTF8.self) }
        func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
        let parsed = SignedRequestHeaders.parse(authorization: field(0), date: field(1), nonce: field(2), contentSHA256: field(3),
                                                idempotencyKey: field(4), metadata: field(5))
        if case .success(let headers) = parsed {
            let signature = headers.signature(method: "POST", path: "/v1/takes")
            _ = signature.verify(signature: headers.signature, secret: secret)
            if !headers.metadataHeader.isEmpty { metadata(Array(headers.metadataHeader.utf8)) }
        }
    }

    /// The metadata header as the server decodes and checks it, and the same bytes as raw JSON.
    static func metadata(_ bytes: [UInt8]) {
        if case .success(let metadata) = UploadMetadata.decode(headerValue: String(decoding: bytes, as: UTF8.self)) { check(metadata) }
        if let metadata = try? JSONDecoder().decode(UploadMetadata.self, from: Data(bytes)) { check(metadata) }
    }

    private static func check(_ metadata: UploadMetadata) {
        _ = Identifier.isValid(metadata.owner)
        try? TakeMetadata(sessionID: metadata.sessionID, participants: metadata.participants ?? [], recordedAt: metadata.recordedAt,
                          dawTransport: metadata.dawTransport).validate()
        _ = try? metadata.headerValue()
    }
}

/// What the delivery API reads from a request: `Range`, `If-None-Match`, `If-Range` and a
/// session page's `after` token, evaluated against an artefact whose length comes from the first
/// eight bytes. A partial answer must lie inside the artefact and hold at least one byte.
enum DeliveryFuzzing {
    static func headers(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return }
        let length = Int64(bitPattern: bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }) & Int64.max
        let fields = bytes.dropFirst(8).split(separator: 0x0a, maxSplits: 3, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
        if case .partial(let range) = ByteRangeRequest.evaluate(field(0), length: length) {
            precondition(!range.isEmpty && range.lowerBound >= 0 && range.upperBound <= length, "range \(range) outside 0..<\(length)")
        }
        let tag = EntityTagCondition.tag(sha256: String(repeating: "ab", count: 32))
        _ = EntityTagCondition.noneMatchHits(field(1), tag: tag)
        _ = EntityTagCondition.ifRangeAllows(field(2), tag: tag)
        if let token = field(3), let cursor = SessionCursor(token: token) {
            precondition(SessionCursor(token: cursor.token) == cursor, "a session cursor does not round-trip")
        }
    }
}
