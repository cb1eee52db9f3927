import ObjectStore
import TakeArchive
import TakevaultCore

/// Stages one upload as its bytes arrive (FORMAT.md §10): bytes are appended, each full segment is
/// sealed and written while the next fills (one write in flight at most, so memory stays about two
/// segments deep), and ``finish(sha256:)`` writes the last segment and then the seal — create-only:
/// only then is the upload staged. ``discard()`` removes what an upload refused or cut off wrote.
///
/// Used by one request at a time; not shared between tasks.
public final class StagedUploadWriter {
    let store: any ObjectStore
    /// The master key the seal is wrapped under, read when the seal is written (not when the
    /// upload starts): an erasure or a rotation that replaced the key while the body arrived has
    /// retired the one in force then.
    let master: @Sendable () -> MasterKey
    let owner: String
    let job: String
    let tags: ObjectTags
    /// Throws unless the master key may wrap now (``MasterKeyCurrency``).
    let checkMasterKey: @Sendable () async throws -> Void
    private let key = KeyMaterial.random()
    private var pending: [UInt8] = []
    private var segmentsStarted = 0
    private var bytes: Int64 = 0
    private var inFlight: Task<Void, any Error>?

    init(store: any ObjectStore, master: @escaping @Sendable () -> MasterKey, owner: String, job: String, tags: ObjectTags,
         checkMasterKey: @escaping @Sendable () async throws -> Void) {
        self.checkMasterKey = checkMasterKey
        self.store = store
        self.master = master
        self.owner = owner
        self.job = job
        self.tags = tags
        pending.reserveCapacity(StagedUploadFormat.segmentSize)
    }

    /// Adds `raw` to the upload. When ``hasFullSegment`` turns true, await ``writeFullSegments()``
    /// before appending much more.
    public func append(_ raw: UnsafeRawBufferPointer) {
        pending.append(contentsOf: raw)
        bytes += Int64(raw.count)
    }

    /// Whether a whole segment is waiting to be written.
    public var hasFullSegment: Bool { pending.count >= StagedUploadFormat.segmentSize }

    /// Seals and starts writing every full segment waiting, after the previous write has finished.
    public func writeFullSegments() async throws {
        while pending.count >= StagedUploadFormat.segmentSize {
            let segment = try pending.withUnsafeBytes { raw in
                try StagedUploadFormat.sealSegment(UnsafeRawBufferPointer(rebasing: raw[0..<StagedUploadFormat.segmentSize]), index: segmentsStarted,
                                                   owner: owner, job: job, key: key)
            }
            pending.removeFirst(StagedUploadFormat.segmentSize)
            try await start(segment)
        }
    }

    /// Waits until every segment started so far is in the store.
    public func waitForWrites() async throws {
        try await inFlight?.value
        inFlight = nil
    }

    /// Writes what is left as the last segment, waits for every write, then writes the seal naming
    /// `sha256` as the upload's hash: from here the upload is staged. The master key is checked
    /// again after the seal is written (``UploadStaging/checkMasterKey()`` checked it before the
    /// body came): a rotation recorded meanwhile (the relay holds no lock against it) withdraws
    /// the seal, and the upload is refused.
    public func finish(sha256: [UInt8]) async throws {
        let writtenEarlier = segmentsStarted
        try await writeFullSegments()
        if !pending.isEmpty {
            let segment = try pending.withUnsafeBytes { try StagedUploadFormat.sealSegment($0, index: segmentsStarted, owner: owner, job: job, key: key) }
            pending.removeAll()
            try await start(segment)
        }
        try await waitForWrites()
        precondition(segmentsStarted == StagedUploadFormat.segmentCount(bytes: bytes))
        // Segments written while the body arrived must all still be there: one removed meanwhile
        // (an erasure of the owner, a sweep that took the upload for abandoned) would leave a seal
        // over a hole. (Those written just now need no look.)
        if writtenEarlier > 0 {
            let present = Set(try await store.list(prefix: StagingNames.uploadPrefix(owner: owner, job: job)).map(\.name))
            for index in 0..<writtenEarlier where !present.contains(StagingNames.segment(owner: owner, job: job, index: index)) {
                throw StagedUploadInterrupted(missingSegment: index)
            }
        }
        let seal = StagedUploadFormat.Seal(key: key, bytes: bytes, segments: segmentsStarted, sha256: sha256)
        let sealName = StagingNames.seal(owner: owner, job: job)
        try await store.put(sealName, data: try StagedUploadFormat.sealObject(seal, owner: owner, job: job, under: master()), tags: tags, createOnly: true)
        do { try await checkMasterKey() } catch {
            try? await store.delete(sealName)
            throw error
        }
    }

    /// Removes whatever this writer wrote (best effort: what a failure leaves, the sweep removes
    /// after the grace period).
    public func discard() async {
        _ = try? await inFlight?.value
        inFlight = nil
        try? await store.delete(StagingNames.seal(owner: owner, job: job))
        try? await store.delete((0..<segmentsStarted).map { StagingNames.segment(owner: owner, job: job, index: $0) })
    }

    private func start(_ segment: [UInt8]) async throws {
        try await inFlight?.value
        let name = StagingNames.segment(owner: owner, job: job, index: segmentsStarted)
        segmentsStarted += 1
        let store = store
        let tags = tags
        inFlight = Task { try await store.put(name, data: segment, tags: tags, createOnly: false) }
    }
}

/// A segment of an upload being staged vanished from the store before its seal was written (an
/// erasure of its owner or a sweep ran meanwhile): nothing is acknowledged; the client sends the
/// upload again.
public struct StagedUploadInterrupted: ReasonCoded, Sendable {
    public var missingSegment: Int
    public var code: String { "upload_interrupted" }
    public var message: String { "Segment \(missingSegment) of the upload was removed from the store while the upload arrived." }
    public var category: ErrorCategory { .failure }
}
