import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import TakeCatalog
import TakePipeline

/// `takevault serve`: the relay hand-off service. Uploads are spooled and acknowledged, workers
/// ingest them into the vault, jobs live in the catalog. SIGTERM or SIGINT stops it gracefully:
/// no new connections, requests in flight answered, takes in hand finished.
public struct RelayServer: Sendable {
    public let vault: Vault
    public let configuration: RelayConfiguration
    public let logger: Logger
    /// Opens the vault again (for each job: settings and master keys as they are now).
    let openVault: @Sendable () throws -> Vault

    /// `openVault` reopens the vault the way the server opened `vault`; without it, jobs use
    /// `vault` as it was opened.
    public init(vault: Vault, configuration: RelayConfiguration, logger: Logger = Logger(label: "takevault.relay"),
                openVault: (@Sendable () throws -> Vault)? = nil) {
        self.vault = vault
        self.configuration = configuration
        self.logger = logger
        self.openVault = openVault ?? { vault }
    }

    /// Runs until a shutdown signal. `onListening` receives the bound host and port.
    public func run(onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        try await application(onListening: onListening).runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// What ``run(onListening:)`` serves, built and recovered but not started: the routes behind the
    /// connection guards, with the pipeline workers and the callback notifier as its services. Tests
    /// run it in this process (HummingbirdTesting's live framework) exactly as `serve` runs it.
    public func application(onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws -> some ApplicationProtocol {
        // One server per vault: a second would clear this one's uploads in flight and take its jobs.
        guard let claim = try vault.locks.claim("serve") else { throw RelayConfigurationError.alreadyServing(vault: vault.root) }
        let spool = try UploadSpool(layout: vault.spool, limit: configuration.spoolLimitBytes)
        let jobs = RelayJobs(catalog: vault.catalog, clock: vault.clock, queued: QueueSignal(capacity: configuration.workers))
        try await recover(spool: spool, jobs: jobs)
        let board = JobProgressBoard()
        let metrics = RelayMetrics(node: configuration.node)
        let notifier = CallbackNotifier(jobs: jobs, board: board, configuration: configuration, logger: logger)
        let workers = PipelineWorkers(openVault: openVault, spool: spool, jobs: jobs, board: board, metrics: metrics, notifier: notifier,
                                      configuration: configuration, logger: logger, sharedCatalog: vault.catalogIsShared)
        let authenticator = RelayAuthenticator(configuration: configuration, catalog: vault.catalog, clock: vault.clock)
        let routes = RelayRoutes(
            vault: vault,
            uploads: UploadHandler(vault: vault, configuration: configuration, authenticator: authenticator, spool: spool, jobs: jobs, metrics: metrics),
            authenticator: authenticator, jobs: jobs, board: board, spool: spool, metrics: metrics,
            transfers: TransferSlots(limit: configuration.maximumTransfers), logger: logger)
        let host = configuration.host
        let limits = configuration.connectionLimits
        let connections = ConnectionCount(limit: limits.maximumConnections)
        // Headers: the metadata header may be 16 KiB; nothing else needs more than a few hundred bytes.
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(maxHeaderFieldSize: 20 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 64)
        return Application(
            router: routes.router(),
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(responder: responder, limits: limits, count: connections, decoder: decoder)
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: "takevault"),
            services: [workers, notifier],
            onServerRunning: { channel in
                withExtendedLifetime(claim) { onListening(host, channel.localAddress?.port ?? 0) }
            },
            logger: logger)
    }

    /// Brings the spool and the jobs back in step after a stop, clean or not: jobs cut off while
    /// processing are queued again; a cancelled job's upload still spooled (the cancel was cut off)
    /// goes to quarantine; other failed jobs whose upload is still spooled (from versions that gave
    /// up after three attempts) are queued again; spooled files no job knows go to quarantine with
    /// that reason — written just before a crash and never acknowledged, or whose job row was lost —
    /// never deleted. Uploads of finished jobs (the take committed, or rejected and quarantined by
    /// ingest) are let go.
    func recover(spool: UploadSpool, jobs: RelayJobs) async throws {
        // This node's jobs cut off while processing go back to the queue. On a catalog one server
        // uses (it holds the serve claim) those are all of them; on a shared catalog, only the ones
        // leased to this node: the others are other nodes' until their leases lapse.
        let requeued = try await vault.catalog.requeueProcessingJobs(kind: RelayJobs.kind,
                                                                      leasedBy: vault.catalogIsShared ? configuration.node : nil, at: jobs.now)
        var retried = 0
        var quarantined = 0
        let queue = RelayJobQueue(vault: vault)
        for id in spool.acceptedJobs() {
            guard let job = try await vault.catalog.job(id) else {
                try vault.quarantineSpooledUpload(job: id, owner: nil, originalName: nil, reason: Vault.SpoolQuarantineReason(
                    code: "spool_without_job", message: "A spooled upload no relay job names (never acknowledged, or its job record was lost)."))
                quarantined += 1
                continue
            }
            let detail = try? jobs.detail(of: job)
            if job.state == .failed, detail?.error?.code == RelayJobQueue.cancelledCode, let detail, let owner = job.ownerID {
                try await queue.quarantineCancelled(id, owner: owner, detail: detail)
                quarantined += 1
            } else if job.state == .failed {
                var again = job
                again.state = .queued
                again.notBefore = nil
                again.updatedAt = jobs.now
                try await vault.catalog.updateJob(again)
                retried += 1
            } else if job.isFinal {
                spool.remove(job: id)
            }
        }
        // Decoded audio of ingests cut off with this node (or any process of this vault folder that
        // has ended) goes now, not after the sweep's grace period.
        let abandoned = vault.removeAbandonedWorkFolders()
        if requeued + retried + quarantined + abandoned > 0 {
            logger.notice("recovered", metadata: ["requeued": "\(requeued)", "failed_retried": "\(retried)", "quarantined": "\(quarantined)",
                                                  "work_folders_removed": "\(abandoned)"])
        }
    }
}
