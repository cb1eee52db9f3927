import GRDB
import TakevaultCore

/// The outcome of ``Catalog/insertJob(_:capacity:)``.
public enum JobInsertion: Sendable, Equatable {
    /// The job was new and is now queued.
    case inserted(JobRecord)
    /// A job with the same relay and idempotency key already exists (returned as stored).
    case existing(JobRecord)
    /// Not inserted: this many jobs of its kind were already queued or processing, the capacity.
    case full(waiting: Int)
}

/// The job queue's operations. Every state change is one transaction, so a crash leaves each job
/// in exactly one state and a restart can tell what was in flight.
extension SQLiteCatalog {
    /// Inserts `job` unless its relay already has a job under its idempotency key, or — with a
    /// `capacity` — unless that many jobs of its kind are already queued or processing. The count and
    /// the insert are one transaction, so concurrent inserts never pass the capacity together.
    public func insertJob(_ job: JobRecord, capacity: Int?) async throws -> JobInsertion {
        try await write { db in
            if let key = job.idempotencyKey, let relay = job.relayKeyID,
               let existing = try JobRecord.filter(JobRecord.Columns.relayKeyID == relay && JobRecord.Columns.idempotencyKey == key).fetchOne(db) {
                return .existing(existing)
            }
            if let capacity {
                let waiting = try JobRecord.filter(JobRecord.Columns.kind == job.kind && [JobState.queued, .processing].contains(JobRecord.Columns.state))
                    .fetchCount(db)
                if waiting >= capacity { return .full(waiting: waiting) }
            }
            try job.insert(db)
            return .inserted(job)
        }
    }

    /// Forgets job `id` if it is done and its take is no longer in the catalog (deleted or swept
    /// after the job finished, or while it was finishing): one statement, so a take indexed again
    /// meanwhile keeps its job. `true` when the job was forgotten.
    public func forgetJobOfDeletedTake(_ id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                DELETE FROM jobs WHERE id = ? AND state = ? AND take_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM takes WHERE takes.id = jobs.take_id)
                """, arguments: [id, JobState.done.rawValue])
            return db.changesCount > 0
        }
    }

    public func job(_ id: String) async throws -> JobRecord? {
        try await read { try JobRecord.fetchOne($0, key: id) }
    }

    /// The job a relay submitted under `idempotencyKey`, if any.
    public func job(relayKeyID: String, idempotencyKey: String) async throws -> JobRecord? {
        try await read { try JobRecord.filter(JobRecord.Columns.relayKeyID == relayKeyID && JobRecord.Columns.idempotencyKey == idempotencyKey).fetchOne($0) }
    }

    public func claimJob(kind: String, node: String, at now: String, leaseUntil: String?) async throws -> JobRecord? {
        try await write { db in
            let due = JobRecord.Columns.state == JobState.queued && (JobRecord.Columns.notBefore == nil || JobRecord.Columns.notBefore <= now)
            let lapsed = JobRecord.Columns.state == JobState.processing && JobRecord.Columns.leaseExpiresAt != nil && JobRecord.Columns.leaseExpiresAt < now
            guard var job = try JobRecord.filter(JobRecord.Columns.kind == kind && (due || lapsed))
                .order(JobRecord.Columns.createdAt, JobRecord.Columns.id).fetchOne(db)
            else { return nil }
            job.state = .processing
            job.attempts += 1
            job.notBefore = nil
            job.updatedAt = now
            job.leaseNode = node
            job.leaseExpiresAt = leaseUntil
            try job.update(db)
            return job
        }
    }

    public func renewLease(job id: String, node: String, until: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = ? AND lease_node = ?",
                           arguments: [until, id, JobState.processing, node])
            return db.changesCount == 1
        }
    }

    public func updateJob(_ job: JobRecord) async throws {
        try await write { try job.update($0) }
    }

    public func updateJob(_ job: JobRecord, leasedBy node: String) async throws -> Bool {
        try await write { db in
            guard try JobRecord.filter(JobRecord.Columns.id == job.id && JobRecord.Columns.state == JobState.processing
                                       && JobRecord.Columns.leaseNode == node).fetchCount(db) == 1 else { return false }
            try job.update(db)
            return true
        }
    }

    @discardableResult
    public func requeueProcessingJobs(kind: String, leasedBy node: String?, at now: String) async throws -> Int {
        try await write { db in
            try db.execute(sql: """
                UPDATE jobs SET state = ?, updated_at = ?, lease_node = NULL, lease_expires_at = NULL
                WHERE kind = ? AND state = ? AND (? IS NULL OR lease_node = ? OR lease_node IS NULL)
                """, arguments: [JobState.queued, now, kind, JobState.processing, node, node])
            return db.changesCount
        }
    }

    /// How many jobs of `kind` are in each state.
    public func jobCounts(kind: String) async throws -> [JobState: Int] {
        try await read { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs WHERE kind = ? GROUP BY state", arguments: [kind]) {
                // A state this version does not know (a newer node's) is not counted.
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// Finished jobs of `kind` whose callback is still to be delivered.
    public func jobsAwaitingCallback(kind: String) async throws -> [JobRecord] {
        try await read { try JobRecord.filter(JobRecord.Columns.kind == kind && JobRecord.Columns.callbackState == CallbackState.pending).order(JobRecord.Columns.updatedAt).fetchAll($0) }
    }

    /// Records a request nonce; `false` if the same relay already used it (a replay). Nonces past
    /// their expiry are forgotten first: by then the signature's timestamp is refused anyway.
    public func recordNonce(keyID: String, nonce: String, expiresAt: String, now: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM relay_nonces WHERE expires_at < ?", arguments: [now])
            try db.execute(sql: "INSERT OR IGNORE INTO relay_nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)", arguments: [keyID, nonce, expiresAt])
            return db.changesCount == 1
        }
    }

    /// Queues `owner`'s parked jobs again (their restriction was lifted); returns how many.
    @discardableResult
    public func resumeParkedJobs(owner: String, at now: String) async throws -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE jobs SET state = ?, not_before = NULL, updated_at = ? WHERE owner_id = ? AND state = ?",
                           arguments: [JobState.queued, now, owner, JobState.parked])
            return db.changesCount
        }
    }

    /// Ends job `id` as `failed` with `detail`, if it is waiting (queued or parked) — never one a
    /// worker holds. Returns the job as it was, or `nil` when it was not waiting (or not there).
    public func cancelWaitingJob(_ id: String, detail: String, at now: String) async throws -> JobRecord? {
        try await write { db in
            guard let job = try JobRecord.fetchOne(db, key: id), [JobState.queued, .parked].contains(job.state) else { return nil }
            var cancelled = job
            cancelled.state = .failed
            cancelled.notBefore = nil
            cancelled.detail = detail
            cancelled.updatedAt = now
            try cancelled.update(db)
            return job
        }
    }

    /// Jobs of `kind` in `states`, oldest first (at most `limit`).
    public func jobs(kind: String, states: [JobState], limit: Int) async throws -> [JobRecord] {
        try await read {
            try JobRecord.filter(JobRecord.Columns.kind == kind && states.contains(JobRecord.Columns.state))
                .order(JobRecord.Columns.createdAt, JobRecord.Columns.id).limit(limit).fetchAll($0)
        }
    }

    /// Ids of every job naming `owner` (erasure deletes their spooled uploads).
    public func jobIDs(owner: String) async throws -> [String] {
        try await read { try String.fetchAll($0, sql: "SELECT id FROM jobs WHERE owner_id = ?", arguments: [owner]) }
    }

    /// None: one server uses a SQLite catalog (it holds the serve claim) and rings its own workers.
    public func jobNotices(kind: String) -> AsyncStream<Void>? { nil }

    /// Answers a trivial query: the catalog's file is there and readable.
    public func ping() async throws {
        _ = try await read { try Int.fetchOne($0, sql: "SELECT 1") }
    }
}
