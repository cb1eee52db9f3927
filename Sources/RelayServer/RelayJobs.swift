import RelayAPI
import TakeArchive
import TakeCatalog
import TakePipeline
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a relay job keeps in the catalog's `detail` column.
struct RelayJobDetail: Codable, Sendable {
    var metadata: UploadMetadata
    var uploadBytes: Int64
    var format: String
    var summary: JSONValue?
    var alreadyArchived: Bool?
    var reason: ErrorDetail?
    var error: ErrorDetail?

    enum CodingKeys: String, CodingKey {
        case metadata, uploadBytes = "upload_bytes", format, summary, alreadyArchived = "already_archived", reason, error
    }
}

/// Relay jobs in the catalog: creating, reading and finishing them, and their JSON documents.
struct RelayJobs: Sendable {
    static let kind = "relay_upload"
    let catalog: any Catalog
    let clock: PipelineClock
    /// Rung whenever a job is queued, for the workers.
    let queued: QueueSignal

    var now: String { Timestamp.string(clock.now()) }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "job_" + (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 36)
            return String(repeating: "0", count: max(0, 13 - text.count)) + text
        }.joined()
    }

    func insert(id: String, relay: String, idempotencyKey: String, sha256: String, detail: RelayJobDetail, capacity: Int) async throws -> JobInsertion {
        let stamp = now
        let insertion = try await catalog.insertJob(JobRecord(
            id: id, kind: Self.kind, state: .queued, ownerID: detail.metadata.owner, takeID: nil, createdAt: stamp, updatedAt: stamp,
            detail: try Self.encode(detail), relayKeyID: relay, idempotencyKey: idempotencyKey, uploadSHA256: sha256), capacity: capacity)
        if case .inserted = insertion { queued.notify() }
        return insertion
    }

    func detail(of job: JobRecord) throws -> RelayJobDetail {
        try JSONDecoder().decode(RelayJobDetail.self, from: Data(job.detail.utf8))
    }

    /// The worker's job was claimed by another node after its lease lapsed: the other node's
    /// attempt is the job's now, and this one's outcome is not recorded.
    struct LeaseLost: Error, CustomStringConvertible {
        var jobID: String
        var description: String { "job \(jobID) was taken over by another node after its lease lapsed" }
    }

    /// Writes the outcome of a worker's attempt: only while the worker's node still holds the job
    /// (``LeaseLost`` otherwise), and with the lease let go.
    func record(_ job: JobRecord) async throws {
        var job = job
        guard let node = job.leaseNode else {
            try await catalog.updateJob(job)
            return
        }
        job.leaseNode = nil
        job.leaseExpiresAt = nil
        guard try await catalog.updateJob(job, leasedBy: node) else { throw LeaseLost(jobID: job.id) }
    }

    /// The bytes of the uploads the staging area holds: those of jobs still waiting (queued,
    /// processing, parked) and those kept as the quarantine of rejected and given-up jobs (until
    /// the sweep lets them go; a job whose upload has gone already is counted until its row goes
    /// too, which errs on the side of room). One catalog read.
    func bytesStaged() async throws -> Int64 {
        let holding = try await catalog.jobs(kind: Self.kind, states: [.queued, .processing, .parked, .rejected, .failed], limit: 100_000)
        return holding.reduce(0) { total, job in total + ((try? detail(of: job))?.uploadBytes ?? 0) }
    }

    /// Claims the oldest due job (or one whose lease lapsed) for `node`, leased for `leaseSeconds`.
    func claim(node: String, leaseSeconds: Int) async throws -> JobRecord? {
        try await catalog.claimJob(kind: Self.kind, node: node, at: now, leaseUntil: leaseEnd(seconds: leaseSeconds))
    }

    /// Extends `job`'s lease; `false` when another node has it now.
    func renew(_ job: JobRecord, leaseSeconds: Int) async throws -> Bool {
        guard let node = job.leaseNode else { return true }
        return try await catalog.renewLease(job: job.id, node: node, until: leaseEnd(seconds: leaseSeconds))
    }

    func leaseEnd(seconds: Int) -> String { Timestamp.string(clock.now().addingTimeInterval(Double(seconds))) }

    /// Records a final state, and marks the callback pending when the relay wants one.
    func finish(_ job: JobRecord, state: JobState, takeID: String? = nil, callback: Bool, update: (inout RelayJobDetail) -> Void) async throws -> JobRecord {
        var job = job
        var detail = try detail(of: job)
        update(&detail)
        job.state = state
        job.takeID = takeID ?? job.takeID
        job.updatedAt = now
        job.detail = try Self.encode(detail)
        job.callbackState = callback ? .pending : nil
        try await record(job)
        job.leaseNode = nil
        job.leaseExpiresAt = nil
        return job
    }

    /// Puts a job back in the queue after a failure that may pass, not to be claimed for
    /// `notBefore` seconds (the idle workers' periodic look finds it then).
    func requeue(_ job: JobRecord, error: ErrorDetail, notBefore delay: Int) async throws {
        var job = job
        var detail = try detail(of: job)
        detail.error = error
        job.state = .queued
        job.updatedAt = now
        job.notBefore = Timestamp.string(clock.now().addingTimeInterval(Double(delay)))
        job.detail = try Self.encode(detail)
        try await record(job)
        if delay == 0 { queued.notify() }
    }

    /// Parks a job whose owner's processing is restricted.
    func park(_ job: JobRecord, reason: ErrorDetail) async throws {
        var job = job
        var detail = try detail(of: job)
        detail.reason = reason
        job.state = .parked
        job.updatedAt = now
        job.notBefore = nil
        job.detail = try Self.encode(detail)
        try await record(job)
    }

    /// Queues the owner's parked jobs again.
    func resumeParked(owner: String) async throws {
        if try await catalog.resumeParkedJobs(owner: owner, at: now) > 0 { queued.notify() }
    }

    /// The job as the API shows it, with live progress when a worker has it.
    func document(_ job: JobRecord, progress: JobProgressBoard.Progress?) throws -> JobDocument {
        let detail = try detail(of: job)
        var document = JobDocument(jobID: job.id, state: job.state, owner: job.ownerID, createdAt: job.createdAt, updatedAt: job.updatedAt, attempts: job.attempts)
        document.takeID = job.takeID
        switch job.state {
        case .processing:
            document.stage = progress?.stage ?? "starting"
            document.percent = ((progress?.fraction ?? 0) * 1000).rounded() / 10
        case .done:
            document.summary = detail.summary
            document.alreadyArchived = detail.alreadyArchived
        case .rejected, .parked:
            document.reason = detail.reason
        case .failed:
            document.error = detail.error
        case .queued:
            // A job being retried says what failed last and when it is tried again.
            document.error = detail.error
            document.retryAt = job.notBefore
        }
        return document
    }

    static func encode(_ detail: RelayJobDetail) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(detail), as: UTF8.self)
    }

    /// The summary a finished job reports: the take's loudness, peak, length and preview.
    static func summary(of result: IngestResult) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for key in ["integrated_lufs", "true_peak_dbtp", "loudness_range_lu", "sample_peak_dbfs", "duration_s", "flags"] {
            if let value = result.analysis[key] { fields[key] = value }
        }
        if let preview = result.preview { fields["preview"] = preview }
        fields["retain_until"] = result.retainUntil.map(JSONValue.string) ?? .null
        fields["tier"] = .string(result.tier.rawValue)
        return .object(fields)
    }
}
