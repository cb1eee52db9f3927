import TakeCatalog

/// Re-derives previews, waveforms and analyses from archived masters (`takevault reprocess`):
/// selected takes, up to `concurrency` at a time, each one a ``TakeReprocessor`` run.
///
/// Idempotent and resumable: a take whose manifest records the requested derivation is skipped
/// (and its superseded generation retired if a crash left it), so running again after an
/// interruption finishes exactly what is left. Retention dates never change; restricted owners are
/// skipped; held takes are reprocessed but keep their old generation until the hold lifts.
public struct Reprocess: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// What a run reports as it goes.
    public enum Event: Sendable {
        /// The takes selected, and their total duration in seconds.
        case planned(takes: Int, seconds: Double)
        case progress(take: String, fraction: Double)
        case finished(ReprocessResult)
    }

    public struct Report: Sendable, Codable {
        public var derivation: Derivation
        public var dryRun: Bool
        public var done = 0
        public var skipped = 0
        public var failed = 0
        public var wouldReprocess = 0
        public var takes: [ReprocessResult] = []

        enum CodingKeys: String, CodingKey {
            case derivation, dryRun = "dry_run", done, skipped, failed, wouldReprocess = "would_reprocess", takes
        }
    }

    /// Reprocesses the selected takes to the vault's settings (the caller applies overrides when
    /// opening the vault).
    public func run(_ selection: ReprocessSelection, dryRun: Bool = false, concurrency: Int = 2,
                    onEvent: @escaping @Sendable (Event) -> Void = { _ in }) async throws -> Report {
        let derivation = Derivation(settings: vault.settings)
        let catalogued = try await vault.catalog.takes()
        // A named take that does not exist is an error; one the other selectors exclude is not.
        let known = Set(catalogued.map(\.id))
        if let missing = selection.takes.first(where: { !known.contains($0) }) { throw PipelineError.takeNotFound(missing) }
        let selected = catalogued.filter(selection.matches).sorted { ($0.ingestedAt, $0.id) < ($1.ingestedAt, $1.id) }
        onEvent(.planned(takes: selected.count, seconds: selected.reduce(0) { $0 + $1.durationS }))
        let worker = TakeReprocessor(vault: vault, derivation: derivation, pipelineOlderThan: selection.pipelineOlderThan, dryRun: dryRun)
        var report = Report(derivation: derivation, dryRun: dryRun)
        var results: [String: ReprocessResult] = [:]
        await withTaskGroup(of: ReprocessResult.self) { group in
            var next = 0
            func startNext() {
                guard next < selected.count else { return }
                let take = selected[next]
                next += 1
                group.addTask { await worker.run(take) { onEvent(.progress(take: take.id, fraction: $0)) } }
            }
            for _ in 0..<max(1, concurrency) { startNext() }
            while let result = await group.next() {
                results[result.takeID] = result
                onEvent(.finished(result))
                startNext()
            }
        }
        // Retire superseded generations now that no derivation of this run is writing chunks: one
        // pass per owner. A failure here leaves the new generation committed and the old one for
        // the next run (or the sweep) to retire.
        var retirements: [String: [String: Int]] = [:]
        for result in results.values {
            if let generation = result.retireOlderThan { retirements[result.owner, default: [:]][result.takeID] = generation }
        }
        for (owner, current) in retirements.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try await vault.withLock(.owner(owner), .exclusive) {
                    try await GenerationRetirement(vault: vault).retire(owner: owner, current: current)
                }
            } catch {
                for take in current.keys {
                    results[take]?.oldGenerationKept = true
                    results[take]?.reason = ReprocessResult.Reason(code: "retirement_pending", message: "The previous generation is still stored: \(error)")
                }
            }
        }
        report.takes = selected.compactMap { results[$0.id] }
        for result in report.takes {
            switch result.outcome {
            case .done: report.done += 1
            case .skipped: report.skipped += 1
            case .wouldReprocess: report.wouldReprocess += 1
            case .failed: report.failed += 1
            }
        }
        return report
    }
}
