import ObjectStore
import TakeArchive

extension ObjectStore {
    /// `name`'s bytes, read with a ranged get of at most `limit + 1` bytes: an object larger than
    /// any this format writes under such a name (put there by someone with write access to the
    /// store) is refused as malformed without being read whole. A missing object throws
    /// ``StoreError/notFound(_:)``, as ``get(_:)`` does.
    func get(_ name: String, atMost limit: Int) async throws -> [UInt8] {
        guard limit >= 0, limit < Int.max else {
            throw ArchiveError.malformedObject(object: name, detail: "no object can be \(limit) bytes")
        }
        let object = try await get(name, range: 0..<Int64(limit + 1))
        guard object.count <= limit else {
            throw ArchiveError.malformedObject(object: name, detail: "larger than the \(limit) bytes such an object can have")
        }
        return object
    }

    /// The sealed chunk `name` whose plaintext the manifest says is `plaintextSize` bytes, read as
    /// ``get(_:atMost:)`` reads: at most one byte more than such a sealed chunk can be.
    func get(sealedChunk name: String, plaintextSize: Int) async throws -> [UInt8] {
        guard plaintextSize > 0, plaintextSize < Int.max - ChunkSealer.overhead else {
            throw ArchiveError.malformedObject(object: name, detail: "the manifest gives it \(plaintextSize) bytes")
        }
        return try await get(name, atMost: plaintextSize + ChunkSealer.overhead)
    }
}
