import Crypto
import ObjectStore
import TakeArchive
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a file into chunks, seals each under the owner's key and stores it (FORMAT.md §5).
///
/// Chunks already in the store (same content, same owner: same id) are not written again. Memory is
/// one chunk and its sealed copy, both reused from chunk to chunk, whatever the file's size.
struct ArtefactWriter: Sendable {
    let store: any ObjectStore
    let sealer: ChunkSealer
    let chunkSize: Int
    let tags: ObjectTags

    /// Seals and stores `path`; returns the chunk list, size and SHA-256 of the artefact.
    func write(_ path: String, kind: ArtefactKind, codec: String, mediaType: String, settings: JSONValue) async throws -> Artefact {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileIO.error("open", path) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var chunks: [ChunkReference] = []
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var object: [UInt8] = []  // reused chunk after chunk: see ChunkSealer.seal(_:into:)
        while true {
            let count = try Self.fill(&buffer, from: descriptor, path: path)
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            let id = try sealer.seal(buffer[0..<count], into: &object)
            try await storeChunk(id: id, object: object)
            chunks.append(ChunkReference(id: id, size: count))
            total += Int64(count)
            if count < chunkSize { break }
        }
        return Artefact(kind: kind, codec: codec, mediaType: mediaType, settings: settings, bytes: total,
                        sha256: Array(hasher.finalize()).hex, chunkSize: chunkSize, chunks: chunks)
    }

    private func storeChunk(id: ChunkID, object: [UInt8]) async throws {
        let name = ObjectNames.chunk(owner: sealer.owner, id: id)
        if let existing = try await store.head(name), existing.size == Int64(object.count) {
            // Deduplicated: keep the longest retention among the takes that share it, and make the
            // object as young as this take (S3 lifecycle rules count age from the last write).
            if Self.later(tags.retainUntil, than: existing.tags.retainUntil) {
                var renewed = tags
                renewed.held = existing.tags.held
                try await store.renew(name, tags: renewed)
            }
            return
        }
        do {
            try await store.put(name, data: object, tags: tags, createOnly: true)
        } catch StoreError.alreadyExists {
            // Written concurrently by another ingest of the same content.
        }
    }

    /// Whether retention `a` outlasts `b` (`nil` is forever).
    static func later(_ a: String?, than b: String?) -> Bool {
        guard let b else { return false }
        guard let a else { return true }
        return a > b
    }

    /// Reads until `buffer` is full or the file ends; returns the count.
    static func fill(_ buffer: inout [UInt8], from descriptor: Int32, path: String) throws -> Int {
        do { return try buffer.withUnsafeMutableBytes { try SystemIO.fill(descriptor, $0) } } catch { throw SystemError.about(path, error) }
    }
}
