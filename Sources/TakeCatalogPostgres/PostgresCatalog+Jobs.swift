import PostgresNIO
import TakeCatalog
import TakevaultCore

// The relay's job queue and nonces, shared by every node: claims skip rows another node holds,
// capacity checks serialise per kind, idempotency keys and nonces are unique across the vault.
extension PostgresCatalog {
    /// The channel job notices go out on; the payload is the job kind.
    static let jobChannel = "takevault_jobs"

    /// Sends a notice for `kind` when the surrounding transaction commits (PostgreSQL holds
    /// notifications until then, and drops them if it rolls back).
    static func notice(kind: String) -> PostgresQuery {
        "SELECT pg_notify(\(jobChannel), \(kind))"
    }

    /// The advisory lock that serialises capacity checks of one job kind (count, then insert).
    static func capacityLock(kind: String) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtextextended(\("takevault-queue-capacity:" + kind), 0))"
    }

    public func insertJob(_ job: JobRecord, capacity: Int?) async throws -> JobInsertion {
        try await transaction { connection in
            func existing() async throws -> JobRecord? {
                guard let relay = job.relayKeyID, let key = job.idempotencyKey else { return nil }
                return try await connection.rows("""
                    SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE relay_key_id = \(relay) AND idempotency_key = \(key)
                    """, Rows.job).first
            }
            if let capacity {
                try await connection.execute(Self.capacityLock(kind: job.kind))
                if let stored = try await existing() { return .existing(stored) }
                let waiting = try await connection.rows("""
                    SELECT count(*) AS n FROM jobs WHERE kind = \(job.kind) AND state IN ('queued', 'processing')
                    """) { try $0.value("n", as: Int.self) }.first ?? 0
                if waiting >= capacity { return .full(waiting: waiting) }
            }
            if try await connection.count(Writes.insertJob(job)) == 1 {
                try await connection.execute(Self.notice(kind: job.kind))
                return .inserted(job)
            }
            // Not inserted: the idempotency key is taken (by a node that inserted meanwhile), or the id is.
            if let stored = try await existing() { return .existing(stored) }
            throw CatalogError.database(detail: "job \(job.id) already exists")
        }
    }

    public func forgetJobOfDeletedTake(_ id: String) async throws -> Bool {
        try await connection { connection in
            try await connection.count("""
                DELETE FROM jobs WHERE id = \(id) AND state = 'done' AND take_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM takes WHERE takes.id = jobs.take_id)
                RETURNING 1
                """) == 1
        }
    }

    public func job(_ id: String) async throws -> JobRecord? {
        try await rows("SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE id = \(id)", Rows.job).first
    }

    public func job(relayKeyID: String, idempotencyKey: String) async throws -> JobRecord? {
        try await rows("""
            SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE relay_key_id = \(relayKeyID) AND idempotency_key = \(idempotencyKey)
            """, Rows.job).first
    }

    public func claimJob(kind: String, node: String, at now: String, leaseUntil: String?) async throws -> JobRecord? {
        try await rows("""
            UPDATE jobs SET state = 'processing', attempts = attempts + 1, not_before = NULL, updated_at = \(now),
                lease_node = \(node), lease_expires_at = \(leaseUntil)
            WHERE id = (
                SELECT id FROM jobs
                WHERE kind = \(kind)
                  AND ((state = 'queued' AND (not_before IS NULL OR not_before <= \(now)))
                       OR (state = 'processing' AND lease_expires_at IS NOT NULL AND lease_expires_at < \(now)))
                ORDER BY created_at, id LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING \(unescaped: Rows.jobColumns)
            """, Rows.job).first
    }

    public func renewLease(job id: String, node: String, until: String) async throws -> Bool {
        try await connection { connection in
            try await connection.count("""
                UPDATE jobs SET lease_expires_at = \(until) WHERE id = \(id) AND state = 'processing' AND lease_node = \(node) RETURNING 1
                """) == 1
        }
    }

    public func updateJob(_ job: JobRecord) async throws {
        try await connection { try await $0.updateOne(Writes.updateJob(job, leasedBy: nil), what: "job") }
    }

    public func updateJob(_ job: JobRecord, leasedBy node: String) async throws -> Bool {
        try await connection { try await $0.count(Writes.updateJob(job, leasedBy: node)) == 1 }
    }

    @discardableResult
    public func requeueProcessingJobs(kind: String, leasedBy node: String?, at now: String) async throws -> Int {
        try await transaction { connection in
            let requeued = try await connection.count("""
                UPDATE jobs SET state = 'queued', updated_at = \(now), lease_node = NULL, lease_expires_at = NULL
                WHERE kind = \(kind) AND state = 'processing' AND (\(node)::text IS NULL OR lease_node = \(node) OR lease_node IS NULL)
                RETURNING 1
                """)
            if requeued > 0 { try await connection.execute(Self.notice(kind: kind)) }
            return requeued
        }
    }

    public func jobCounts(kind: String) async throws -> [JobState: Int] {
        let rows = try await rows("SELECT state, count(*) AS n FROM jobs WHERE kind = \(kind) GROUP BY state") { row in
            (try row.value("state", as: String.self), try row.value("n", as: Int.self))
        }
        var counts: [JobState: Int] = [:]
        // A state this version does not know (a newer node's) is not counted.
        for (state, count) in rows { if let state = JobState(rawValue: state) { counts[state] = count } }
        return counts
    }

    public func jobsAwaitingCallback(kind: String) async throws -> [JobRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE kind = \(kind) AND callback_state = 'pending' ORDER BY updated_at, id
            """, Rows.job)
    }

    public func recordNonce(keyID: String, nonce: String, expiresAt: String, now: String) async throws -> Bool {
        try await transaction { connection in
            try await connection.execute("DELETE FROM relay_nonces WHERE expires_at < \(now)")
            return try await connection.count("""
                INSERT INTO relay_nonces (key_id, nonce, expires_at) VALUES (\(keyID), \(nonce), \(expiresAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """) == 1
        }
    }

    @discardableResult
    public func resumeParkedJobs(owner: String, at now: String) async throws -> Int {
        try await transaction { connection in
            let kinds = try await connection.rows("""
                UPDATE jobs SET state = 'queued', not_before = NULL, updated_at = \(now) WHERE owner_id = \(owner) AND state = 'parked' RETURNING kind
                """) { try $0.value("kind", as: String.self) }
            for kind in Set(kinds) { try await connection.execute(Self.notice(kind: kind)) }
            return kinds.count
        }
    }

    public func cancelWaitingJob(_ id: String, detail: String, at now: String) async throws -> JobRecord? {
        try await transaction { connection in
            guard let job = try await connection.rows("SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE id = \(id) FOR UPDATE", Rows.job).first,
                  [JobState.queued, .parked].contains(job.state) else { return nil }
            try await connection.execute("""
                UPDATE jobs SET state = 'failed', not_before = NULL, detail = \(detail), updated_at = \(now) WHERE id = \(id)
                """)
            return job
        }
    }

    public func jobs(kind: String, states: [JobState], limit: Int) async throws -> [JobRecord] {
        try await rows("""
            SELECT \(unescaped: Rows.jobColumns) FROM jobs WHERE kind = \(kind) AND state = ANY(\(states.map(\.rawValue))::text[])
            ORDER BY created_at, id LIMIT \(max(0, limit))
            """, Rows.job)
    }

    public func jobIDs(owner: String) async throws -> [String] {
        try await rows("SELECT id FROM jobs WHERE owner_id = \(owner) ORDER BY id") { try $0.value("id", as: String.self) }
    }

    public func jobNotices(kind: String) -> AsyncStream<Void>? {
        let location = location
        let timeout = options.connectTimeout
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listener = Task {
            // One connection of its own, LISTENing; if it breaks (the server restarted), a notice
            // goes out at once — jobs may have been queued unheard — and it connects again.
            while !Task.isCancelled {
                do {
                    try await Self.direct(location, timeout: timeout) { connection in
                        try await connection.listen(on: Self.jobChannel) { notifications in
                            continuation.yield()   // listening: look once for what was queued before
                            for try await notification in notifications where notification.payload == kind { continuation.yield() }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                }
                continuation.yield()
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }

    public func ping() async throws {
        _ = try await rows("SELECT 1 AS one") { try $0.value("one", as: Int.self) }
    }
}
