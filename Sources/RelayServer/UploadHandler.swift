import AudioCodecs
import TakevaultCore
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HTTPTypes
import NIOPosix
import ObjectStore
import RelayAPI
import Synchronization
import TakeArchive
import TakeCatalog
import TakePipeline

/// `POST /v1/takes`: authenticate, check the metadata and the idempotency key, make room, stage
/// the body in the store as it arrives, sealed (``UploadStaging``), check it against its signed
/// hash, write its seal, and only then record the job and answer `202`. Every refusal leaves
/// nothing behind.
struct UploadHandler: Sendable {
    let vault: Vault
    let configuration: RelayConfiguration
    let authenticator: RelayAuthenticator
    let spool: UploadSpool
    let jobs: RelayJobs
    let metrics: RelayMetrics
    /// Uploads admitted and still arriving: they count against the queue's capacity until their
    /// job is recorded, so simultaneous uploads cannot all pass the same early check.
    let admitted = Admissions()

    /// The count of uploads admitted and still arriving.
    final class Admissions: Sendable {
        private let arriving = Mutex(0)

        /// Admits one more upload if `waiting` jobs plus those arriving leave room under `capacity`.
        func admit(waiting: Int, capacity: Int) -> Bool {
            arriving.withLock { arriving in
                guard waiting + arriving < capacity else { return false }
                arriving += 1
                return true
            }
        }

        func release() { arriving.withLock { $0 -= 1 } }
    }

    /// What an accepted (or recognised duplicate) upload answers.
    struct Acceptance {
        var job: JobRecord
        var duplicate: Bool
    }

    func accept(_ request: Request) async throws -> Acceptance {
        let verified = try await authenticator.authenticate(request)
        let key = verified.idempotencyKey
        guard !key.isEmpty else {
            throw RelayRefusal.badRequest("idempotency_key_invalid", "Idempotency-Key must be 1–128 printable characters, the same on every retry of one upload.")
        }
        let (metadata, admittedOwner) = try await checkedMetadata(verified.metadataHeader, relay: verified.relay)

        // A retry of an upload already accepted: the same job, without reading the body again —
        // unless its take has been deleted since (a deletion forgets the jobs that made a take, but
        // one finishing as the deletion ran is recorded after it): then the upload is made anew.
        if let existing = try await jobs.catalog.job(relayKeyID: verified.relay.keyID, idempotencyKey: key),
           try await !jobs.catalog.forgetJobOfDeletedTake(existing.id) {
            return try duplicate(existing, sha256: verified.declaredBodySHA256)
        }

        // Room in the queue and the spool, before a byte is read: the jobs waiting plus the uploads
        // admitted and still arriving. (Recording the job checks the capacity again, atomically.)
        let counts = try await jobs.catalog.jobCounts(kind: RelayJobs.kind)
        let waiting = (counts[.queued] ?? 0) + (counts[.processing] ?? 0)
        let capacity = configuration.queueCapacity
        guard admitted.admit(waiting: waiting, capacity: capacity) else {
            throw RelayRefusal.busy("\(waiting) takes are waiting; the queue holds \(capacity).", retryAfter: configuration.retryAfterSeconds)
        }
        defer { admitted.release() }
        let declaredLength = try Self.contentLength(request)
        if let declaredLength, declaredLength > configuration.maxUploadBytes {
            throw RelayRefusal.tooLarge("upload_too_large", "The upload is \(declaredLength) bytes; the limit is \(configuration.maxUploadBytes).")
        }
        // Uploads staged in a folder store — waiting, or kept as a rejected job's quarantine — are
        // on this machine's disk: they count against the spool's limit with what is arriving. (In
        // a bucket they are the bucket's to hold.)
        if vault.store is LocalStore { spool.noteStaged(try await jobs.bytesStaged()) }
        // A declared length is reserved whole, before a byte is read; a chunked body reserves as
        // its bytes arrive, so stalled uploads cannot hold room they never fill.
        let reservation = SpoolReservation(spool: spool, retryAfter: configuration.retryAfterSeconds)
        defer { reservation.releaseAll() }
        if let declaredLength { try reservation.reserveDeclared(declaredLength) } else { try reservation.cover(1) }

        // The upload is acknowledged only once it is staged in the store, sealed (FORMAT.md §10):
        // where a worker on any node of a shared vault can take it, and never in the clear at rest
        // on one machine's disk either.
        let id = RelayJobs.newID()
        // The key ring as this node's key files say now (a rotation's next key installed since start).
        try vault.reloadMasterKeys()
        let stagingArea = UploadStaging(vault: vault)
        try await stagingArea.checkMasterKey()
        let staging = stagingArea.writer(owner: metadata.owner, tier: metadata.tier, job: id)
        do {
            let acceptance = try await receive(request, into: id, staging: staging, metadata: metadata, admittedOwner: admittedOwner, verified: verified, key: key,
                                               reservation: reservation, capacity: capacity)
            if acceptance.duplicate || acceptance.job.id != id { await staging.discard() }
            return acceptance
        } catch {
            await staging.discard()
            // The store failed while staging: nothing was taken in, the client retries (503).
            if let failure = error as? StoreError { throw StoreUnavailable(detail: failure.message) }
            throw error
        }
    }

    /// Receives the body into the store's staging area (and a transient copy in the spool's
    /// `incoming/` for the duration probe), checks it, seals it, and records job `id` — or finds
    /// the job another request with the same key recorded first.
    private func receive(_ request: Request, into id: String, staging: StagedUploadWriter, metadata: UploadMetadata, admittedOwner: OwnerRecord?,
                         verified: RelayAuthenticator.Verified,
                         key: String, reservation: SpoolReservation, capacity: Int) async throws -> Acceptance {
        let receiver = UploadReceiver(maxBytes: configuration.maxUploadBytes, maxDurationSeconds: configuration.maxDurationSeconds)
        let received = try await receiver.receive(request.body, into: spool.incomingPath(), staging: staging) { total in try reservation.cover(total) }
        defer { unlink(received.path) }
        guard received.sha256 == verified.declaredBodySHA256 else {
            throw RelayRefusal.unauthenticated("auth_body_mismatch", "The body's SHA-256 is not the one the request signed.")
        }
        // Formats whose header carries no duration are measured now that the whole file is here.
        let probed = try? await NIOThreadPool.singleton.runIfActive { try AudioProbe.probe(path: received.path) }
        if let probed { try receiver.checkDuration(probed.durationS) }
        try await staging.waitForWrites()
        Failpoint.reach(Failpoint.relayUploadReceived)
        let detail = RelayJobDetail(metadata: metadata, uploadBytes: received.bytes, format: probed?.format ?? received.format.rawValue)
        // The seal and the job under the vault's shared lock, the owner read again inside it: an
        // erasure (which holds the vault exclusively) that ran while the body arrived — the owner
        // known at admission is gone, or is another of the same id — is seen and the upload
        // refused; one that comes later finds the job and its staged upload. (The owner's own lock
        // is not needed: nothing else that takes it exclusively conflicts with a new job.)
        let insertion = try await vault.withLock(.vault, .shared) {
            let owner = try await vault.catalog.owner(metadata.owner)
            if owner?.erasedAt != nil || (admittedOwner != nil && owner?.createdAt != admittedOwner?.createdAt) {
                throw RelayRefusal.ownerErased(metadata.owner)
            }
            // Staged: the store holds the upload for whichever worker claims the job; the spool
            // keeps no copy (the one in incoming/ goes when this returns).
            try await staging.finish(sha256: received.digest)
            return try await jobs.insert(id: id, relay: verified.relay.keyID, idempotencyKey: key, sha256: received.sha256, detail: detail, capacity: capacity)
        }
        switch insertion {
        case .inserted(let job):
            metrics.uploadedBytes(received.bytes)
            return Acceptance(job: job, duplicate: false)
        case .existing(let existing):
            // Another request with this key won the race: ours is the duplicate (the caller
            // discards what was staged for it).
            return try duplicate(existing, sha256: received.sha256)
        case .full(let waiting):
            throw RelayRefusal.busy("\(waiting) takes are waiting; the queue holds \(capacity).", retryAfter: configuration.retryAfterSeconds)
        }
    }

    private func duplicate(_ existing: JobRecord, sha256: String) throws -> Acceptance {
        guard existing.uploadSHA256 == sha256 else {
            throw RelayRefusal(status: .conflict, code: "idempotency_conflict",
                               message: "Idempotency-Key already names job \(existing.id), whose upload had a different body.")
        }
        return Acceptance(job: existing, duplicate: true)
    }

    /// `Content-Length` as digits only (1–19 of them), or `nil` for a chunked body.
    static func contentLength(_ request: Request) throws -> Int64? {
        guard let text = request.headers[.contentLength] else { return nil }
        guard (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int64(text) else {
            throw RelayRefusal.badRequest("content_length_invalid", "Content-Length must be a decimal number of bytes.")
        }
        return value
    }

    /// Decodes and checks the metadata: ids, tier, timestamp; the owner must be in the relay's
    /// scope (checked before anything about the owner is looked up, so a relay learns nothing of
    /// owners outside it), and not restricted or erased. Returns the owner as the catalog knows it
    /// now (`nil`: a new owner), for the check made again before the job is recorded.
    private func checkedMetadata(_ header: String, relay: RelayKey) async throws -> (UploadMetadata, OwnerRecord?) {
        guard !header.isEmpty else {
            throw RelayRefusal.badRequest("metadata_missing", "\(RelayHeaders.metadata) is missing: it names at least the owner and tier.")
        }
        let metadata: UploadMetadata
        switch UploadMetadata.decode(headerValue: header) {
        case .success(let decoded): metadata = decoded
        case .failure(let problem): throw RelayRefusal.badRequest("metadata_invalid", problem.message)
        }
        guard Identifier.isValid(metadata.owner) else {
            throw RelayRefusal.badRequest("metadata_invalid", "owner \"\(metadata.owner.prefix(80))\" is not a valid id (FORMAT.md §2: lower-case letters, digits, '.', '_', '-').")
        }
        guard relay.scope.permits(metadata.owner) else {
            throw RelayRefusal(status: .forbidden, code: "owner_out_of_scope", message: "Relay \(relay.keyID) may not upload for owner \(metadata.owner).")
        }
        if let name = metadata.fileName, name.utf8.count > 255 || name.contains("\0") {
            throw RelayRefusal.badRequest("metadata_invalid", "file_name must be at most 255 bytes, without NUL.")
        }
        do {
            try TakeMetadata(sessionID: metadata.sessionID, participants: metadata.participants ?? [], recordedAt: metadata.recordedAt,
                             dawTransport: metadata.dawTransport).validate()
        } catch let error as PipelineError {
            throw RelayRefusal.badRequest("metadata_invalid", error.message)
        }
        let owner = try await vault.catalog.owner(metadata.owner)
        if let owner {
            if owner.erasedAt != nil { throw RelayRefusal.ownerErased(metadata.owner) }
            if owner.restricted {
                throw RelayRefusal(status: .forbidden, code: "owner_restricted",
                                   message: "Processing of owner \(metadata.owner)'s data is restricted; no upload is taken until it is lifted.")
            }
        }
        return (metadata, owner)
    }
}

extension RelayRefusal {
    static func ownerErased(_ owner: String) -> RelayRefusal {
        RelayRefusal(status: .forbidden, code: "owner_erased", message: "Owner \(owner) has been erased.")
    }
}

/// The store failed while an upload was being staged: answered `503 store_unavailable` with
/// Retry-After; the detail goes to the log, not to the client.
struct StoreUnavailable: ReasonCoded {
    var detail: String
    var code: String { "store_unavailable" }
    var message: String { detail }
    var category: ErrorCategory { .failure }
}
