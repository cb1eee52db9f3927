import RelayAPI
import TakeCatalog
import TakePipeline
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The relay's queue as an operator sees it from the command line (`takevault relay jobs`), beside
/// a running `serve` or without one: the jobs waiting, parked or given up, and cancelling one.
///
/// Cancelling ends a waiting job (queued, retrying, or parked) as `failed` with code `cancelled`;
/// its staged upload stays, sealed, as its quarantine (the sweep removes it after the quarantine
/// period, an erasure with the owner's data): nothing acknowledged is deleted. A job a worker holds
/// is not cancelled (it is finishing or will be queued again). The job's owner is locked
/// exclusively meanwhile, so an erasure of that owner runs before or after, never beside. An
/// upload an older version spooled in `accepted/` moves to the quarantine folder instead; a cancel
/// interrupted after the state change is finished by the next `serve` start.
///
/// ``exportUpload(_:to:by:)`` writes a job's held upload out for an operator to look at.
public struct RelayJobQueue: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Why a queue operation was refused.
    public enum Refusal: ReasonCoded, Equatable, Sendable {
        case notFound(String)
        case notWaiting(job: String, state: JobState)

        public var code: String {
            switch self {
            case .notFound: "job_not_found"
            case .notWaiting: "job_not_waiting"
            }
        }

        public var message: String {
            switch self {
            case .notFound(let id): "No relay job \(id)."
            case .notWaiting(let id, let state): "Job \(id) is \(state.rawValue); only a queued or parked job can be cancelled."
            }
        }

        public var category: ErrorCategory { .rejectedInput }
    }

    /// The jobs in `states`, oldest first, as the API documents them (at most `limit`).
    public func list(states: [JobState], limit: Int = 1_000) async throws -> [JobDocument] {
        let jobs = relayJobs
        return try await vault.catalog.jobs(kind: RelayJobs.kind, states: states, limit: limit).map { try jobs.document($0, progress: nil) }
    }

    /// Cancels waiting job `id` (see the type's note); returns it as it now is.
    public func cancel(_ id: String, by actor: String) async throws -> JobDocument {
        guard let found = try await vault.catalog.job(id), found.kind == RelayJobs.kind else { throw Refusal.notFound(id) }
        guard let owner = found.ownerID else { throw Refusal.notFound(id) }
        return try await vault.withLock(.owner(owner), .exclusive) {
            guard let job = try await vault.catalog.job(id) else { throw Refusal.notFound(id) }
            var detail = try relayJobs.detail(of: job)
            detail.error = ErrorDetail(code: Self.cancelledCode, message: vault.spool.acceptedJobs().contains(id)
                ? "Cancelled by \(actor); the upload is in quarantine."
                : "Cancelled by \(actor); the upload is kept, sealed, in the store.")
            guard try await vault.catalog.cancelWaitingJob(id, detail: try RelayJobs.encode(detail), at: relayJobs.now) != nil else {
                throw Refusal.notWaiting(job: id, state: job.state)
            }
            try await quarantineCancelled(id, owner: owner, detail: detail)
            guard let cancelled = try await vault.catalog.job(id) else { throw Refusal.notFound(id) }
            return try relayJobs.document(cancelled, progress: nil)
        }
    }

    /// Writes job `id`'s held upload to a new file at `path` (see
    /// ``TakePipeline/Vault/exportHeldUpload(job:owner:to:by:)``); returns the bytes written.
    @discardableResult
    public func exportUpload(_ id: String, to path: String, by actor: String) async throws -> Int64 {
        guard let job = try await vault.catalog.job(id), job.kind == RelayJobs.kind, let owner = job.ownerID else { throw Refusal.notFound(id) }
        return try await vault.exportHeldUpload(job: id, owner: owner, to: path, by: actor)
    }

    /// The error code a cancelled job carries.
    static let cancelledCode = "cancelled"

    /// Moves a cancelled job's spooled upload (one an older version acknowledged into `accepted/`)
    /// to quarantine. A staged upload stays staged in the store, sealed, with its failed job (where
    /// an erasure reaches it from any node; a node's own quarantine folder it would not).
    func quarantineCancelled(_ id: String, owner: String, detail: RelayJobDetail) async throws {
        guard vault.spool.acceptedJobs().contains(id) else { return }
        try vault.quarantineSpooledUpload(job: id, owner: owner, originalName: detail.metadata.fileName,
                                          reason: Vault.SpoolQuarantineReason(code: Self.cancelledCode, message: detail.error?.message ?? "Cancelled."))
    }

    private var relayJobs: RelayJobs { RelayJobs(catalog: vault.catalog, clock: vault.clock, queued: QueueSignal(capacity: 1)) }
}
