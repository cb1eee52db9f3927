import TakeArchive

/// The keys one take's chunks and manifests are sealed under: the owner data key for takes written
/// before per-take keys (manifest formats 1 and 2), or the take's own key (format 3, FORMAT.md §9).
/// Every generation of a take keeps the sealing its first generation had, so a reprocess or a
/// correction still shares the master's chunks.
enum TakeSealing: Sendable {
    case ownerKey(OwnerKey)
    /// The take's key, and the owner key version that wrapped it when it was read or made (what a
    /// new manifest's header records).
    case takeKey(TakeKey, ownerKeyVersion: Int)

    var chunkSealer: ChunkSealer {
        switch self {
        case .ownerKey(let key): ChunkSealer(key: key)
        case .takeKey(let key, _): ChunkSealer(takeKey: key)
        }
    }

    /// The owner key version a new manifest's header records.
    var keyVersion: Int {
        switch self {
        case .ownerKey(let key): key.version
        case .takeKey(_, let version): version
        }
    }

    /// Seals a manifest: format 2 under the owner key, format 3 under the take key.
    func seal(header: ManifestHeader, body: ManifestBody) throws -> [UInt8] {
        var header = header
        header.keyVersion = keyVersion
        switch self {
        case .ownerKey(let key): return try ManifestSealer.seal(header: header, body: body, key: key)
        case .takeKey(let key, _): return try ManifestSealer.seal(header: header, body: body, takeKey: key)
        }
    }

    /// Opens a manifest of this take stored as `objectName`.
    func open(_ object: [UInt8], objectName: String) throws -> (header: ManifestHeader, body: ManifestBody) {
        switch self {
        case .ownerKey(let key): try ManifestSealer.open(object, key: key, objectName: objectName)
        case .takeKey(let key, _): try ManifestSealer.open(object, takeKey: key, objectName: objectName)
        }
    }
}
