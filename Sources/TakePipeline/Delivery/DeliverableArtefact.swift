import NIOCore
import ObjectStore
import TakeArchive
import TakevaultCore

/// One artefact of a take, ready to be streamed: any byte range of it, fetching and opening only
/// the chunks the range covers, each authenticated under its id (the AEAD key is derived from it)
/// and checked against its size before a byte of it is handed on. Memory is the chunk going out
/// and those fetched ahead of it (one by default), whatever the artefact's length. Each chunk is
/// opened straight into the buffer that is handed on: no copy between the cipher and the socket.
public struct DeliverableArtefact: Sendable {
    public let kind: ArtefactKind
    public let mediaType: String
    /// Plaintext length.
    public let bytes: Int64
    /// SHA-256 (hex) of the whole artefact: a strong validator for HTTP (`ETag`).
    public let sha256: String
    let manifestName: String
    let owner: String
    let sealer: ChunkSealer
    let chunks: [ChunkReference]
    /// `offsets[i]` is where chunk `i` starts; `offsets[chunks.count] == bytes`.
    let offsets: [Int64]

    /// Checks the chunk list against the artefact's length (the manifest is authenticated, but a
    /// list whose sizes do not add up must not steer what is read).
    init(_ artefact: Artefact, manifestName: String, owner: String, sealer: ChunkSealer) throws {
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(artefact.chunks.count + 1)
        var end: Int64 = 0
        for chunk in artefact.chunks {
            guard chunk.size > 0, chunk.size <= artefact.chunkSize else {
                throw ArchiveError.malformedObject(object: manifestName, detail: "a \(artefact.kind) chunk of \(chunk.size) bytes (chunk size \(artefact.chunkSize))")
            }
            let (sum, overflow) = end.addingReportingOverflow(Int64(chunk.size))
            guard !overflow else { throw ArchiveError.malformedObject(object: manifestName, detail: "the \(artefact.kind) chunk sizes overflow") }
            end = sum
            offsets.append(end)
        }
        guard end == artefact.bytes else {
            throw ArchiveError.malformedObject(object: manifestName, detail: "the \(artefact.kind) chunks hold \(end) bytes, the artefact \(artefact.bytes)")
        }
        kind = artefact.kind
        mediaType = artefact.mediaType
        bytes = artefact.bytes
        sha256 = artefact.sha256
        self.manifestName = manifestName
        self.owner = owner
        self.sealer = sealer
        chunks = artefact.chunks
        self.offsets = offsets
    }

    /// The chunks bytes `range` touches (`range` non-empty, within the artefact).
    func chunkIndices(covering range: Range<Int64>) -> ClosedRange<Int> {
        precondition(!range.isEmpty && range.lowerBound >= 0 && range.upperBound <= bytes)
        return chunk(containing: range.lowerBound)...chunk(containing: range.upperBound - 1)
    }

    /// The index of the chunk holding byte `offset` (binary search over the starts).
    private func chunk(containing offset: Int64) -> Int {
        var low = 0, high = chunks.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if offsets[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Hands `send` the bytes of `range` (clamped to the artefact) in order, a chunk's worth at a
    /// time. Throws — before handing on any byte of it — at the first chunk that is missing, fails
    /// authentication or has the wrong size; the caller aborts its transfer there.
    public func stream(_ range: Range<Int64>, from store: any ObjectStore, _ send: (ByteBuffer) async throws -> Void) async throws {
        try await prepareStream(range, from: store).send(send)
    }

    /// Starts fetching the first chunks of `range` now, so that they arrive while the caller is
    /// still answering (response headers) instead of after; ``ArtefactStream/send(_:)`` hands
    /// them on. `readAhead` chunks are fetched and opened ahead of the one being sent.
    public func prepareStream(_ range: Range<Int64>, from store: any ObjectStore, readAhead: Int = defaultReadAhead) -> ArtefactStream {
        ArtefactStream(self, range: range.clamped(to: 0..<bytes), store: store, readAhead: max(readAhead, 1))
    }

    /// Chunks in flight ahead of the one going out.
    public static let defaultReadAhead = 1

    /// Whether the manifest this artefact was read from is still in the store: a chunk missing
    /// while it is gone means the take was deleted under the transfer, not that the store is damaged.
    public func manifestStillStored(in store: any ObjectStore) async -> Bool {
        (try? await store.head(manifestName)) != nil
    }

    func fetchTask(_ index: Int, from store: any ObjectStore) -> Task<ByteBuffer, Error> {
        let chunk = chunks[index], owner = owner, sealer = sealer
        return Task { try await Self.fetch(chunk, owner: owner, sealer: sealer, from: store) }
    }

    /// Fetches chunk `chunk` and opens it: authenticated under its take's keys with its id and
    /// owner, its size the manifest's. The keyed hash of its plaintext is not computed again
    /// (``ChunkSealer/open(_:id:objectName:into:checkingContentID:)`` says what the tag alone
    /// refuses): that hash was 30 % of the relay's CPU per delivered byte and kept delivery from
    /// S3 below its goal (Benchmarks/README.md). The client checks the whole artefact against its
    /// entity tag.
    static func fetch(_ chunk: ChunkReference, owner: String, sealer: ChunkSealer, from store: any ObjectStore) async throws -> ByteBuffer {
        let name = ObjectNames.chunk(owner: owner, id: chunk.id)
        // One byte more than a sealed chunk of this size can be: a swapped-in giant is caught
        // without reading it.
        let object: [UInt8]
        do { object = try await store.get(sealedChunk: name, plaintextSize: chunk.size) } catch StoreError.notFound {
            throw ArchiveError.malformedObject(object: name, detail: "missing from the store")
        }
        guard !object.isEmpty else { throw ArchiveError.malformedObject(object: name, detail: "missing from the store") }
        let count = try ChunkSealer.plaintextCount(of: object, objectName: name)
        guard count == chunk.size else {
            throw ArchiveError.contentMismatch(object: name, detail: "\(count) bytes, the manifest says \(chunk.size)")
        }
        var plaintext = ByteBufferAllocator().buffer(capacity: count)
        try plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            try sealer.open(object, id: chunk.id, objectName: name, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]),
                            checkingContentID: false)
            return count
        }
        return plaintext
    }
}

/// One range of an artefact on its way out: its first chunks are fetched and opened from the
/// moment it is made, later ones as earlier ones go out. Send it once. A stream never sent (the
/// client went before its body was written) costs only those first fetches, which finish and are
/// dropped with it; ``cancel()`` stops them sooner.
public struct ArtefactStream: Sendable {
    private let artefact: DeliverableArtefact
    private let range: Range<Int64>
    private let indices: ClosedRange<Int>?
    private let store: any ObjectStore
    private let started: [Task<ByteBuffer, Error>]

    init(_ artefact: DeliverableArtefact, range: Range<Int64>, store: any ObjectStore, readAhead: Int) {
        self.artefact = artefact
        self.range = range
        self.store = store
        let indices = range.isEmpty ? nil : artefact.chunkIndices(covering: range)
        self.indices = indices
        started = indices.map { indices in
            (indices.lowerBound..<min(indices.lowerBound + readAhead, indices.upperBound + 1)).map { artefact.fetchTask($0, from: store) }
        } ?? []
    }

    /// Hands `send` the range's bytes in order, a chunk's worth at a time (slices of the opened
    /// chunk, not copies), keeping as many chunks in flight as were started. Before each chunk
    /// after the first, `stillAllowed` is asked (and may throw to end the transfer there): a
    /// transfer outlives neither a restriction nor an erasure by more than a chunk.
    public func send(stillAllowed: () async throws -> Void = {}, _ send: (ByteBuffer) async throws -> Void) async throws {
        guard let indices else { return }
        var inFlight = started
        var nextToFetch = indices.lowerBound + inFlight.count
        defer { inFlight.forEach { $0.cancel() } }
        for index in indices {
            if index > indices.lowerBound { try await stillAllowed() }
            let plaintext = try await inFlight.removeFirst().value
            if nextToFetch <= indices.upperBound {
                inFlight.append(artefact.fetchTask(nextToFetch, from: store))
                nextToFetch += 1
            }
            let start = artefact.offsets[index]
            let lower = Int(max(range.lowerBound, start) - start), upper = Int(min(range.upperBound, artefact.offsets[index + 1]) - start)
            try await send(plaintext.getSlice(at: plaintext.readerIndex + lower, length: upper - lower) ?? ByteBuffer())
        }
    }

    /// Stops the fetches under way (for a stream that will not be sent).
    public func cancel() { started.forEach { $0.cancel() } }
}
