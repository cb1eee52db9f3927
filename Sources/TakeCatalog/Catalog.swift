import TakevaultCore

/// The index of a vault: owners, their wrapped keys, takes and the objects they reference, holds,
/// restriction, tier history, audit events, tombstones, the relay's job queue and its nonces.
///
/// An index, not the truth: everything but the queue and the nonces can be rebuilt from the
/// store's manifests, key objects and policy objects (`takevault catalog rebuild`). One contract,
/// implemented by ``SQLiteCatalog`` (the embedded default, one machine) and by TakeCatalogPostgres
/// (one PostgreSQL database shared by several nodes); every implementation
/// passes the same conformance suite (Tests/TakeCatalogTests). Every call suspends rather than
/// blocks; each one that changes state is one transaction.
public protocol Catalog: Sendable {
    // MARK: Owners, keys, takes, objects and events

    /// The owner with this id, erased or not; `nil` if the catalog has never known them.
    func owner(_ id: String) async throws -> OwnerRecord?

    /// Every owner, by id.
    func owners() async throws -> [OwnerRecord]

    /// Inserts the owner if absent; returns the stored row.
    @discardableResult
    func ensureOwner(_ owner: OwnerRecord) async throws -> OwnerRecord

    /// Replaces the owner's row (tier, restriction, erasure, policy version).
    func updateOwner(_ owner: OwnerRecord) async throws

    /// The owner's wrapped data keys, oldest version first.
    func ownerKeys(_ ownerID: String) async throws -> [OwnerKeyRecord]

    /// Records a wrapped key version unless that version is already recorded.
    func insertOwnerKey(_ key: OwnerKeyRecord) async throws

    /// Replaces a key row (rewrapped under a new master key).
    func replaceOwnerKey(_ key: OwnerKeyRecord) async throws

    /// Forgets every key version of the owner (erasure).
    func deleteOwnerKeys(_ ownerID: String) async throws

    /// The take with this id, if catalogued.
    func take(_ id: String) async throws -> TakeRecord?

    /// Takes, newest first, optionally of one owner.
    func takes(owner: String?) async throws -> [TakeRecord]

    /// `owner`'s takes in `session`, oldest first (by ingest time, then id), at most `limit`,
    /// starting after `after` (an ingest time and take id from the previous page).
    func sessionTakes(owner: String, session: String, after: (ingestedAt: String, takeID: String)?, limit: Int) async throws -> [TakeRecord]

    /// Records a committed take and the objects it references, in one transaction (replacing an
    /// older generation's row).
    func recordTake(_ take: TakeRecord, objects: [TakeObjectRecord], event: EventRecord?) async throws

    func objects(ofTake takeID: String) async throws -> [TakeObjectRecord]

    /// Every object name some take references.
    func referencedObjectNames(owner: String?) async throws -> Set<String>

    /// Appends an audit event.
    func append(_ event: EventRecord) async throws

    /// The most recent `limit` events, newest first, optionally of one owner.
    func events(owner: String?, limit: Int) async throws -> [EventRecord]

    /// `owner`'s takes whose most recent event among `kinds` (in the order they were recorded) is
    /// one of `latest` — for example the takes whose deletion was recorded after their last
    /// ingest — as long as events are kept.
    func takes(owner: String, whoseLatestOf kinds: [String], isOneOf latest: Set<String>) async throws -> Set<String>

    /// Empties owners, keys, takes and objects (events and jobs stay: they are history, not index).
    func clearIndex() async throws

    // MARK: The relay's job queue and nonces

    /// Inserts `job` unless its relay already has a job under its idempotency key, or — with a
    /// `capacity` — unless that many jobs of its kind are already queued or processing. The count and
    /// the insert are one transaction, so concurrent inserts never pass the capacity together.
    func insertJob(_ job: JobRecord, capacity: Int?) async throws -> JobInsertion

    /// Forgets job `id` if it is done and its take is no longer in the catalog (deleted or swept
    /// after the job finished, or while it was finishing): one statement, so a take indexed again
    /// meanwhile keeps its job. `true` when the job was forgotten.
    /// Removes done job `id` if the take it produced is no longer catalogued (deleted); whether it did.
    func forgetJobOfDeletedTake(_ id: String) async throws -> Bool

    /// The job with this id.
    func job(_ id: String) async throws -> JobRecord?

    /// The job a relay submitted under `idempotencyKey`, if any.
    func job(relayKeyID: String, idempotencyKey: String) async throws -> JobRecord?

    /// Claims the oldest job of `kind` that is due — queued with no backoff pending at `now`, or
    /// `processing` under a lease that lapsed before `now` (its node died or stalled) — for `node`:
    /// moves it to `processing`, counts the attempt, leases it to `node` until `leaseUntil` (`nil`:
    /// no expiry, for a catalog one process serves) and returns it. Nodes claiming at once never
    /// get the same job.
    func claimJob(kind: String, node: String, at now: String, leaseUntil: String?) async throws -> JobRecord?

    /// Extends `node`'s lease on processing job `id` to `until`; `false` when the node no longer
    /// holds it (the lease lapsed and another node claimed the job, or the job is gone).
    func renewLease(job id: String, node: String, until: String) async throws -> Bool

    /// Replaces the job's row.
    func updateJob(_ job: JobRecord) async throws

    /// Replaces the job's row only while `node` holds it processing; `false` (nothing changed)
    /// when another node has claimed it since or it is gone. How a worker records its outcome.
    func updateJob(_ job: JobRecord, leasedBy node: String) async throws -> Bool

    /// Puts jobs of `kind` that were `processing` back in the queue — those leased to `node`, or
    /// with `nil` every one (one process serves the catalog) — after a crash or shutdown; returns
    /// how many. Jobs of other nodes are theirs until their leases lapse.
    @discardableResult
    func requeueProcessingJobs(kind: String, leasedBy node: String?, at now: String) async throws -> Int

    /// How many jobs of `kind` are in each state.
    func jobCounts(kind: String) async throws -> [JobState: Int]

    /// Finished jobs of `kind` whose callback is still to be delivered.
    func jobsAwaitingCallback(kind: String) async throws -> [JobRecord]

    /// Records a request nonce; `false` if the same relay already used it (a replay). Nonces past
    /// their expiry are forgotten first: by then the signature's timestamp is refused anyway.
    func recordNonce(keyID: String, nonce: String, expiresAt: String, now: String) async throws -> Bool

    /// Queues `owner`'s parked jobs again (their restriction was lifted); returns how many.
    @discardableResult
    func resumeParkedJobs(owner: String, at now: String) async throws -> Int

    /// Ends job `id` as `failed` with `detail`, if it is waiting (queued or parked) — never one a
    /// worker holds. Returns the job as it was, or `nil` when it was not waiting (or not there).
    func cancelWaitingJob(_ id: String, detail: String, at now: String) async throws -> JobRecord?

    /// Jobs of `kind` in `states`, oldest first (at most `limit`).
    func jobs(kind: String, states: [JobState], limit: Int) async throws -> [JobRecord]

    /// Ids of every job naming `owner` (erasure deletes their spooled uploads).
    func jobIDs(owner: String) async throws -> [String]

    /// Notices that jobs of `kind` became ready to claim anywhere — inserted, queued again, resumed
    /// — by any process on the catalog; `nil` when this catalog has no such notices (one process
    /// serves it and rings its own workers). A notice may be spurious or stand for several jobs:
    /// it means "claim now", and the claim says what there is. The stream reconnects by itself
    /// until its consumer stops iterating.
    func jobNotices(kind: String) -> AsyncStream<Void>?

    /// Answers a trivial query: the catalog's file is there and readable.
    func ping() async throws

    // MARK: Holds, tombstones, tier history, deletion and retention

    func insertHold(_ hold: HoldRecord) async throws

    func updateHold(_ hold: HoldRecord) async throws

    /// Inserts the hold, or replaces the row with its id.
    func saveHold(_ hold: HoldRecord) async throws

    /// Active holds, optionally of one owner.
    func activeHolds(owner: String?) async throws -> [HoldRecord]

    func holds(owner: String) async throws -> [HoldRecord]

    func insertTombstone(_ tombstone: TombstoneRecord) async throws

    func tombstones() async throws -> [TombstoneRecord]

    func deleteTombstone(_ id: String) async throws

    func appendTierChange(_ change: TierChangeRecord) async throws

    /// Replaces the owner's tier history (restoring it from the owner's policy object).
    func replaceTierHistory(owner: String, with changes: [TierChangeRecord]) async throws

    func tierHistory(owner: String) async throws -> [TierChangeRecord]

    /// Forgets a deleted take: its row, and the finished relay jobs that made it — their records
    /// name the take and keep its upload's metadata, and an idempotent retry of the upload must
    /// make the take anew rather than find a job that points at nothing.
    func deleteTake(_ takeID: String, event: EventRecord?) async throws

    /// Removes every row that names `owner` (keys, takes, holds, tier history) and the owner row,
    /// and strips the owner id from past events: after erasure only the anonymous tombstone is left.
    func eraseOwner(_ owner: String, tombstone: TombstoneRecord) async throws

    /// Events and finished jobs recorded before `cutoff` (ISO 8601).
    /// With `keepingJobs`, jobs with those ids are not counted (nor deleted by ``deleteRecords``).
    func countRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int

    /// Deletes events and finished jobs recorded before `cutoff` (ISO 8601), except the jobs in
    /// `keepingJobs` (those whose upload is still spooled: a job row outlives its upload).
    func deleteRecords(before cutoff: String, keepingJobs: Set<String>) async throws -> Int

    /// Takes whose retention ended at or before `instant` (ISO 8601), oldest first.
    func takes(expiredBy instant: String) async throws -> [TakeRecord]

    func updateTake(_ take: TakeRecord) async throws

    /// Every take expired at `instant` (ISO 8601), oldest first (ties in the index's row order): one
    /// scan of the retain-until index, rows read by position (decoding a million rows through
    /// Codable costs seconds).
    /// With `owner`, that owner's only.
    func expiredTakes(at instant: String, owner: String?) async throws -> [ExpiredTake]

    // MARK: Master keys

    /// The master keys recorded for the vault, by id (``MasterKeyRecord``).
    func masterKeys() async throws -> [MasterKeyRecord]
    /// The id of the vault's current master key; when none is recorded yet, `id` becomes it. One
    /// transaction: two nodes adopting different keys at once agree on one.
    func adoptMasterKey(_ id: String, at now: String) async throws -> String
    /// Makes `id` the current master key (a rotation's first step): the previous current one is
    /// `retiring` until ``retireMasterKeys(at:)``.
    func recordMasterKey(current id: String, at now: String) async throws
    /// Every `retiring` master key becomes `retired` (a rotation's last step).
    func retireMasterKeys(at now: String) async throws

    // MARK: Copying a catalog

    /// Every row, read in one transaction (a consistent copy while others write).
    func snapshot() async throws -> CatalogSnapshot

    /// Loads `snapshot` into this catalog, which must hold no row at all, in one transaction;
    /// ``CatalogSnapshotError/targetNotEmpty(rows:)`` otherwise.
    func load(_ snapshot: CatalogSnapshot) async throws
}

/// The common forms of the calls above: the arguments most callers leave at their usual values.
extension Catalog {
    /// Every owner's takes, newest first.
    public func takes() async throws -> [TakeRecord] { try await takes(owner: nil) }

    /// Records a take and its objects without an audit event.
    public func recordTake(_ take: TakeRecord, objects: [TakeObjectRecord]) async throws {
        try await recordTake(take, objects: objects, event: nil)
    }

    /// Every object name some take of any owner references.
    public func referencedObjectNames() async throws -> Set<String> { try await referencedObjectNames(owner: nil) }

    /// The latest 1,000 events of everyone.
    public func events() async throws -> [EventRecord] { try await events(owner: nil, limit: 1_000) }

    /// The latest 1,000 events of `owner`.
    public func events(owner: String?) async throws -> [EventRecord] { try await events(owner: owner, limit: 1_000) }

    /// Claims the oldest due queued job of `kind` with no lease expiry (one process serves the catalog).
    public func claimQueuedJob(kind: String, at now: String) async throws -> JobRecord? {
        try await claimJob(kind: kind, node: "local", at: now, leaseUntil: nil)
    }

    /// Puts every processing job of `kind` back in the queue (one process serves the catalog).
    @discardableResult
    public func requeueProcessingJobs(kind: String, at now: String) async throws -> Int {
        try await requeueProcessingJobs(kind: kind, leasedBy: nil, at: now)
    }

    /// Inserts `job` with no capacity limit.
    public func insertJob(_ job: JobRecord) async throws -> JobInsertion { try await insertJob(job, capacity: nil) }

    /// Up to 1,000 jobs of `kind` in `states`.
    public func jobs(kind: String, states: [JobState]) async throws -> [JobRecord] { try await jobs(kind: kind, states: states, limit: 1_000) }

    /// Everyone's active holds.
    public func activeHolds() async throws -> [HoldRecord] { try await activeHolds(owner: nil) }

    /// Records older than `cutoff`, keeping none back.
    public func countRecords(before cutoff: String) async throws -> Int { try await countRecords(before: cutoff, keepingJobs: []) }

    /// Deletes records older than `cutoff`, keeping none back.
    public func deleteRecords(before cutoff: String) async throws -> Int { try await deleteRecords(before: cutoff, keepingJobs: []) }

    /// Everyone's takes expired at `instant`.
    public func expiredTakes(at instant: String) async throws -> [ExpiredTake] { try await expiredTakes(at: instant, owner: nil) }
}
