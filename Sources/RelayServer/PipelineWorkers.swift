import Logging
import TakevaultCore
import RelayAPI
import ServiceLifecycle
import Synchronization
import TakeArchive
import TakeCatalog
import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker pool: each worker claims the oldest queued job, fetches its staged upload, ingests
/// it, and records the outcome. The staged upload is deleted only after the take's manifest has
/// committed and the job is recorded done, so a crash at any moment leaves the job to be run again
/// on restart (or by another node) — and ingest, being idempotent, turns a second run into the
/// same take.
///
/// On graceful shutdown workers stop claiming, finish the take in hand and return; a job cut off
/// harder than that stays `processing` and is queued again at the next start.
///
/// A claim leases the job to this node (`RelayConfiguration.node`) for `leaseSeconds`, renewed
/// every third of that while the worker works. A node that dies or stalls past its lease loses the
/// job to another node of a shared catalog; its own outcome is then not recorded.
final class PipelineWorkers: Service, Sendable {
    /// Opens the vault afresh for each job, so a master key rotated by `takevault keys rotate` or
    /// an erasure while the server runs is the one new owner keys are wrapped under.
    let openVault: @Sendable () throws -> Vault
    let spool: UploadSpool
    let jobs: RelayJobs
    let board: JobProgressBoard
    let metrics: RelayMetrics
    let notifier: CallbackNotifier
    let configuration: RelayConfiguration
    let executor: PipelineExecutor
    let logger: Logger
    /// Whether other nodes share the catalog (and so the queue), each with a spool of its own.
    let sharedCatalog: Bool
    private let stopping = Atomic<Bool>(false)
    /// Set when a job failed for want of a master key this node's ring lacks (a rotation it
    /// missed): its workers stop claiming, leaving the jobs to nodes that hold the key, until the
    /// ring read from its key files holds the vault's current key again.
    private let keyRingOutdated = Atomic<Bool>(false)

    init(openVault: @escaping @Sendable () throws -> Vault, spool: UploadSpool, jobs: RelayJobs, board: JobProgressBoard, metrics: RelayMetrics, notifier: CallbackNotifier,
         configuration: RelayConfiguration, logger: Logger, sharedCatalog: Bool) {
        self.sharedCatalog = sharedCatalog
        self.openVault = openVault
        self.spool = spool
        self.jobs = jobs
        self.board = board
        self.metrics = metrics
        self.notifier = notifier
        self.configuration = configuration
        // Each ingest runs two things at once (the preview beside sealing the master).
        self.executor = PipelineExecutor(threads: configuration.workers * 2)
        self.logger = logger
    }

    func run() async throws {
        // Without workers (an operator draining the queue elsewhere, or tests holding jobs queued)
        // the service still lives until shutdown: a service that returns stops the server.
        guard configuration.workers > 0 else {
            try? await gracefulShutdown()
            return
        }
        // On a shared catalog, jobs queued through other nodes ring these workers too (LISTEN/NOTIFY).
        let relay: Task<Void, Never>? = jobs.catalog.jobNotices(kind: RelayJobs.kind).map { notices in
            Task { [queued = jobs.queued] in
                for await _ in notices { queued.notify() }
            }
        }
        defer { relay?.cancel() }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<configuration.workers {
                    group.addTask { await self.work() }
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.jobs.queued.close()
        }
    }

    /// How long an idle worker waits for a notice before it looks at the catalog anyway: for what
    /// sends none — a backoff running out, a lapsed lease, a catalog without notices written to by
    /// another process.
    static let idleRecheck = Duration.seconds(2)

    private func work() async {
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            if keyRingOutdated.load(ordering: .relaxed) {
                let problem: String?
                do { problem = try await MasterKeyCurrency(vault: try openVault()).problem() } catch { problem = (error as? ReasonCoded)?.code ?? "error" }
                guard problem == nil else {
                    await jobs.queued.wait(atMost: Self.idleRecheck)
                    continue
                }
                logger.notice("master key ring up to date again; claiming jobs")
                keyRingOutdated.store(false, ordering: .relaxed)
            }
            let job: JobRecord?
            do { job = try await jobs.claim(node: configuration.node, leaseSeconds: configuration.leaseSeconds) } catch {
                logger.error("cannot claim a job", metadata: ["error": "\(error)"])
                job = nil
            }
            guard let job else {
                // Nothing queued: wait for the next upload's notice (or look again after a while).
                await jobs.queued.wait(atMost: Self.idleRecheck)
                continue
            }
            await process(job)
        }
    }

    private func process(_ job: JobRecord) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.id)"
        let detail: RelayJobDetail
        do { detail = try jobs.detail(of: job) } catch {
            await finish(job, state: .failed, error: ErrorDetail(code: "job_unreadable", message: "The job's record cannot be read: \(error)."), logger: logger)
            return
        }
        let metadata = detail.metadata
        // Every upload is staged in the store (FORMAT.md §10), whichever node accepted it, and
        // fetched for this attempt alone: the staged upload stays authoritative, and a copy left
        // here after a failure would outlive the job if another node finishes it. An upload an
        // older version acknowledged into the spool's `accepted/` is ingested from there.
        let spooled = spool.contains(job: job.id)
        let path: String
        if spooled {
            path = spool.acceptedPath(job: job.id)
        } else {
            guard let fetched = await fetchStaged(job, owner: metadata.owner, logger: logger) else { return }
            path = fetched
        }
        defer { if !spooled { unlink(path) } }
        var request = IngestRequest(
            path: path, owner: metadata.owner, tier: metadata.tier, originalName: metadata.fileName,
            metadata: TakeMetadata(sessionID: metadata.sessionID, participants: metadata.participants ?? [], recordedAt: metadata.recordedAt,
                                   dawTransport: metadata.dawTransport),
            relayKeyID: job.relayKeyID)
        // A rejected staged upload stays staged (sealed, in the store) as its quarantine; one from
        // the spool goes to the vault's quarantine folder as before.
        request.quarantineLocally = spooled
        logger.info("processing", metadata: ["owner": "\(metadata.owner)", "attempt": "\(job.attempts)"])
        let clock = ContinuousClock()
        let stageClock = Mutex<(stage: String, started: ContinuousClock.Instant)>(("start", clock.now))
        let board = self.board
        let metrics = self.metrics
        board.update(job.id, stage: "start", fraction: 0)
        do {
            let vault = try openVault()
            let ingest = Ingest(vault: vault)
            let result = try await holdingLease(job, logger: logger) { try await withTaskExecutorPreference(executor) {
                try await ingest.run(request) { stage, fraction in
                    board.update(job.id, stage: stage.rawValue, fraction: fraction)
                    let now = clock.now
                    stageClock.withLock { current in
                        if current.stage != stage.rawValue {
                            metrics.stage(current.stage, now - current.started)
                            current = (stage.rawValue, now)
                        }
                    }
                }
            } }
            stageClock.withLock { metrics.stage($0.stage, clock.now - $0.started) }
            // Erasure deletes an owner's jobs with everything else. If it landed while this take
            // was being ingested, the commit above came after it: finish the erasure's work.
            guard try await jobs.catalog.job(job.id) != nil else {
                logger.notice("owner erased during ingest; erasing what was committed after it")
                board.clear(job.id)
                _ = try await Erasure(vault: vault).erase(owner: metadata.owner)
                spool.remove(job: job.id)
                return
            }
            // The manifest has committed. Record that first, then let the spooled upload go: a crash
            // in between leaves a finished job whose file the next start deletes. (The take id
            // includes the relay's key id, so "already archived" is this relay's own history.)
            let finished = try await jobs.finish(job, state: .done, takeID: result.takeID, callback: wantsCallback(job)) { detail in
                detail.summary = RelayJobs.summary(of: result)
                detail.alreadyArchived = !result.created
                detail.error = nil
            }
            spool.remove(job: job.id)
            await removeStaged(job, owner: metadata.owner, logger: logger)
            board.clear(job.id)
            metrics.jobFinished(.done)
            logger.info("archived", metadata: ["take_id": "\(result.takeID)", "created": "\(result.created)"])
            notifier.notify(finished)
        } catch let lost as RelayJobs.LeaseLost {
            // Stalled past the lease: another node has the job, and its attempt stands. The take
            // this one committed (if any) is the same take; the upload stays in this spool until
            // the job's outcome lets it go.
            board.clear(job.id)
            logger.warning("lease lost; outcome not recorded", metadata: ["detail": "\(lost)"])
        } catch let error as PipelineError {
            if case .ownerRestricted = error {
                await park(job, error: error, owner: metadata.owner, logger: logger)
            } else if error.category == .rejectedInput {
                await reject(job, error: error, logger: logger)
            } else {
                await retryLater(job, error: error, logger: logger)
            }
        } catch let error as ReasonCoded where error.category == .rejectedInput {
            await reject(job, error: error, logger: logger)
        } catch {
            await retryLater(job, error: error, logger: logger)
        }
    }

    /// Runs `body` while renewing `job`'s lease every third of its length. A renewal the catalog
    /// refuses (another node has the job) is logged and renewing stops; the outcome is then refused
    /// too (``RelayJobs/LeaseLost``).
    private func holdingLease<T: Sendable>(_ job: JobRecord, logger: Logger, _ body: () async throws -> T) async throws -> T {
        guard job.leaseExpiresAt != nil else { return try await body() }
        let jobs = self.jobs
        let seconds = configuration.leaseSeconds
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(max(1, seconds / 3)))
                if Task.isCancelled { return }
                do {
                    if try await !jobs.renew(job, leaseSeconds: seconds) {
                        logger.warning("lease lost to another node")
                        return
                    }
                } catch {
                    logger.warning("cannot renew the lease", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { renewal.cancel() }
        return try await body()
    }

    /// A failure that may pass (the store, the catalog, the disk): the job is queued again with a
    /// backoff, for as long as its upload is held. The worker does not wait for it.
    private func retryLater(_ job: JobRecord, error: Error, logger: Logger) async {
        board.clear(job.id)
        if sharedCatalog, let coded = error as? ReasonCoded, ["master_key_unavailable", "master_key_outdated"].contains(coded.code) {
            logger.warning("this node's master key ring lacks a key the vault uses; it stops claiming until it has it")
            keyRingOutdated.store(true, ordering: .relaxed)
        }
        let detail = ErrorDetail(code: (error as? ReasonCoded)?.code ?? "pipeline_error", message: (error as? ReasonCoded)?.message ?? "\(error)")
        if detail.code.hasPrefix("store") { metrics.storeError() }
        let delay = configuration.retryDelaySeconds(afterAttempts: job.attempts)
        logger.warning("failed; queued again", metadata: ["code": "\(detail.code)", "error": "\(detail.message)", "retry_in_s": "\(delay)"])
        do { try await jobs.requeue(job, error: detail, notBefore: delay) } catch {
            // The catalog itself failed: the job stays `processing` and the next start queues it.
            logger.error("cannot queue the job again", metadata: ["error": "\(error)"])
        }
    }

    /// The owner's processing is restricted: the job waits, upload kept, until the restriction is
    /// lifted (which queues it again) or the owner is erased (which deletes it). A lift that landed
    /// between the ingest's refusal and this park finds nothing parked; so after parking the owner
    /// is read again, and a lifted restriction queues the job at once.
    private func park(_ job: JobRecord, error: ReasonCoded, owner: String, logger: Logger) async {
        board.clear(job.id)
        logger.notice("parked: owner's processing restricted")
        do {
            try await jobs.park(job, reason: ErrorDetail(code: error.code, message: error.message))
            let vault = try openVault()
            if try await !OwnerAdministration(vault: vault).isRestricted(owner: owner) {
                try await jobs.resumeParked(owner: owner)
            }
        } catch {
            logger.error("cannot park the job", metadata: ["error": "\(error)"])
        }
    }

    /// The upload is not a take takevault can keep (not decodable, owner restricted or erased): the
    /// job ends `rejected`. The staged upload is its quarantine: kept, sealed, for the quarantine
    /// period (the sweep), erased with its owner, and `relay jobs --export-upload` gets it out. An
    /// upload from the spool was copied to the quarantine folder by ingest; the spool lets go.
    private func reject(_ job: JobRecord, error: Error, logger: Logger) async {
        board.clear(job.id)
        let reason = ErrorDetail(code: (error as? ReasonCoded)?.code ?? "rejected", message: (error as? ReasonCoded)?.message ?? "\(error)")
        metrics.rejection(reason.code)
        metrics.jobFinished(.rejected)
        logger.warning("rejected", metadata: ["code": "\(reason.code)"])
        if let finished = try? await jobs.finish(job, state: .rejected, callback: wantsCallback(job), update: { $0.reason = reason; $0.error = nil }) {
            spool.remove(job: job.id)
            notifier.notify(finished)
        }
    }

    /// Fetches `job`'s staged upload from the store into a new file in this node's spool
    /// (`incoming/`, cleared at every start) and returns its path; `nil` when the job cannot go on
    /// now (its outcome recorded here: queued again, or failed).
    private func fetchStaged(_ job: JobRecord, owner: String, logger: Logger) async -> String? {
        let incoming = spool.incomingPath()
        do {
            let staging = UploadStaging(vault: try openVault())
            guard try await staging.fetch(owner: owner, job: job.id, into: incoming) != nil else {
                // Every upload is staged before its 202: one whose seal is gone was removed from
                // the store behind the vault's back.
                await finish(job, state: .failed, error: ErrorDetail(code: "staged_upload_missing",
                                                                     message: "The staged upload's seal is gone from the store; the relay must upload the take again."),
                             logger: logger)
                return nil
            }
            logger.info("fetched the staged upload")
            return incoming
        } catch let error as ReasonCoded where error.category == .integrity {
            // A staged upload that does not open whole is not retried into a take: it fails, kept
            // in the store for an operator, with the reason.
            unlink(incoming)
            await finish(job, state: .failed, error: ErrorDetail(code: error.code, message: "The staged upload does not open: \(error.message)"), logger: logger)
            return nil
        } catch {
            // The store or this node's key ring (a master key it does not hold yet): later, or on another node.
            unlink(incoming)
            await retryLater(job, error: error, logger: logger)
            return nil
        }
    }

    /// Lets `job`'s staged upload go once its take is made (or refused): best effort, the sweep
    /// removes what is left once the job has ended.
    private func removeStaged(_ job: JobRecord, owner: String, logger: Logger) async {
        do { try await UploadStaging(vault: try openVault()).remove(owner: owner, job: job.id) } catch {
            logger.warning("cannot remove the staged upload; the sweep will", metadata: ["error": "\(error)"])
        }
    }

    /// Failed for good: the upload stays where it is, staged or spooled (nothing is lost), and the
    /// job says why.
    private func finish(_ job: JobRecord, state: JobState, error: ErrorDetail, logger: Logger) async {
        board.clear(job.id)
        metrics.jobFinished(state)
        logger.error("failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
        if let finished = try? await jobs.finish(job, state: state, callback: wantsCallback(job), update: { $0.error = error }) {
            notifier.notify(finished)
        }
    }

    private func wantsCallback(_ job: JobRecord) -> Bool {
        job.relayKeyID.flatMap { configuration.relay($0)?.callbackURL } != nil
    }
}
