import AudioCodecs
import AudioDSP
import Crypto
import Logging
import ObjectStore
import TakevaultCore
import TakeArchive
import TakeCatalog

/// Re-derives one take from its master: unseal the master to the work folder, analyse it again
/// (with the waveform) while rendering the preview with the new settings, check the decoded preview's
/// loudness and true peak against the target, seal the new artefacts and commit generation g+1
/// (create-only). Generation g is
/// retired afterwards by ``Reprocess``, unless a hold covers the take. The master's chunks are
/// referenced, never rewritten.
///
/// Readers see one whole generation at every moment: the new manifest appears atomically and only
/// after everything it names is stored; the old one is deleted only after that.
struct TakeReprocessor: Sendable {
    let vault: Vault
    let derivation: Derivation
    let pipelineOlderThan: Int?
    let dryRun: Bool

    /// The decoded preview must measure within this of the target, LU (the issue's promise).
    static let loudnessTolerance = 0.5

    func run(_ take: TakeRecord, progress: @escaping @Sendable (Double) -> Void = { _ in }) async -> ReprocessResult {
        // The owner shared: a tier change or a hold waits, so the manifest read below is current
        // when the new generation is committed.
        do {
            return try await vault.withLock(.owner(take.ownerID), .shared) { await reprocess(take, progress: progress) }
        } catch {
            return ReprocessResult(takeID: take.id, owner: take.ownerID, durationS: take.durationS)
                .failed((error as? ReasonCoded)?.code ?? "reprocess_failed", "\(error)")
        }
    }

    private func reprocess(_ take: TakeRecord, progress: @escaping @Sendable (Double) -> Void) async -> ReprocessResult {
        var result = ReprocessResult(takeID: take.id, owner: take.ownerID, durationS: take.durationS)
        var logger = Logger(label: "takevault.reprocess")
        logger[metadataKey: "take_id"] = "\(take.id)"
        do {
            if let owner = try await vault.catalog.owner(take.ownerID), owner.restricted {
                return result.skipped("owner_restricted", "Processing of owner \(take.ownerID)'s data is restricted.")
            }
            // Deleted (or swept) since the run chose it: nothing to reprocess, and nothing wrong.
            guard let manifest = try await ManifestLocator(vault: vault).newest(owner: take.ownerID, take: take.id) else {
                return result.skipped("take_gone", "Take \(take.id) was deleted after the run chose it.")
            }
            let recorded = Derivation(recorded: manifest.body.pipeline)
            result.generation = manifest.header.generation
            if let pipelineOlderThan, let number = recorded.flatMap({ Derivation.versionNumber($0.pipelineVersion) }), number >= pipelineOlderThan {
                return result.skipped("pipeline_current", "Made by \(manifest.body.pipeline.version), not older than version \(pipelineOlderThan).")
            }
            let held = try await GenerationRetirement(vault: vault).isHeld(owner: take.ownerID, take: take.id)
            if recorded == derivation {
                // Up to date. A run interrupted after its commit may have left the old generation.
                if !dryRun && !held { result.retireOlderThan = manifest.header.generation }
                return result.skipped("up_to_date", "Already made by \(derivation.pipelineVersion) with these settings.")
            }
            result.changes = derivation.differences(from: recorded)
            if dryRun {
                result.outcome = .wouldReprocess
                return result
            }
            try await reprocess(manifest, held: held, result: &result, logger: logger, progress: progress)
            return result
        } catch {
            let coded = error as? ReasonCoded
            logger.error("reprocess failed", metadata: ["code": "\(coded?.code ?? "internal_error")", "error": "\(error)"])
            return result.failed(coded?.code ?? "internal_error", coded?.message ?? "\(error)")
        }
    }

    private func reprocess(_ manifest: OpenedManifest, held: Bool, result: inout ReprocessResult, logger: Logger,
                           progress: @escaping @Sendable (Double) -> Void) async throws {
        let owner = manifest.header.owner
        let take = manifest.header.takeID
        guard let master = manifest.body.artefact(.master) else { throw PipelineError.artefactNotFound(take: take, kind: .master) }
        let workFolder = try WorkFolder(in: vault.workDirectory, name: "reprocess-" + take + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36))
        defer { workFolder.remove() }
        let work = workFolder.path

        // 1. The master, unsealed and checked against its SHA-256.
        let masterPath = work + "/master" + (master.codec == "flac" ? ".flac" : "")
        try await Restore(vault: vault).write(master, of: manifest, to: masterPath)
        progress(0.1)

        // 2. Analysis, waveform and preview from the master (no new master).
        var settings = vault.settings
        derivation.apply(to: &settings)
        let (analysis, preview) = try Self.derive(masterPath: masterPath, work: work, recorded: try? manifest.body.analysis.decoded(as: AnalysisReport.self),
                                             settings: settings, take: take)
        try FileIO.writeNew(work + "/report.json", ManifestSealer.canonicalJSON(analysis), mode: 0o600)
        progress(0.8)

        // 3. The preview as decoded must meet the target before it may replace the old one. The
        // chain's figures are that measurement: the file it leaves, decoded by libopus and
        // measured by the BS.1770 meter after the final render. The chain keeps its closest attempt
        // even when none is on target; here that is a failure, and the old generation stays.
        result.preview = PreviewMeasurement(integratedLUFS: preview.integratedLUFS, truePeakDBTP: preview.truePeakDBTP, limiterEngaged: preview.limiterEngaged)
        try check(preview, source: analysis, settings: settings)

        // 4. Seal the derived artefacts; the master's chunks are reused as they are.
        let tags = await ObjectTags(owner: owner, tier: manifest.header.tier, kind: .chunk, retainUntil: manifest.header.retainUntil, region: vault.region,
                              held: try ProtectionTags(vault: vault).heldTakes(owner: owner)(take))
        let writer = ArtefactWriter(store: vault.store, sealer: manifest.sealing.chunkSealer, chunkSize: master.chunkSize, tags: tags)
        var derived = try await TakeCommit.sealAnalysis(work: work, writer: writer, settings: settings)
        try await TakeCommit.sealPreview(work: work, writer: writer, into: &derived, measured: preview)
        progress(0.9)
        Failpoint.reach(Failpoint.reprocessSealed)

        // 5. Commit generation g+1 (create-only), index it, then retire g unless held.
        let generation = manifest.header.generation + 1
        var body = manifest.body
        body.analysis = try JSONValue.from(analysis)
        body.preview = try JSONValue.from(preview)
        body.artefacts = [master] + derived.artefacts
        body.generation = generation
        let recordedSettings = derivation.applied(to: manifest.body.pipeline.settings)
        body.pipeline = PipelineRecord(version: derivation.pipelineVersion, settings: recordedSettings,
                                       settingsHash: Array(SHA256.hash(data: try ManifestSealer.canonicalJSON(recordedSettings))).hex,
                                       codecVersions: CodecVersions.all)
        var header = manifest.header
        header.generation = generation
        var manifestTags = tags
        manifestTags.kind = .manifest
        let name: String
        switch try await TakeCommit(vault: vault).commit(header: header, body: body, sealing: manifest.sealing, tags: manifestTags,
                                                          event: { .reprocess(manifest: $0) }) {
        case .committed(let committed):
            name = committed.name
        case .alreadyCommitted(let sealed):
            // Another reprocess of this take committed this generation first: its result stands.
            logger.notice("generation already committed", metadata: ["manifest": "\(sealed.name)"])
            result.outcome = .done
            result.generation = generation
            return
        }
        Failpoint.reach(Failpoint.reprocessCommitted)
        result.outcome = .done
        result.generation = generation
        // Retired once every take of the run is derived (``Reprocess``), unless held.
        if held { result.oldGenerationKept = true } else { result.retireOlderThan = generation }
        logger.info("reprocessed", metadata: ["manifest": "\(name)", "held": "\(held)"])
        progress(1)
    }

    /// Two figures the preview is levelled by agree when they differ by at most this (dB, LU):
    /// far inside every tolerance, and above the last-digit noise of summing in other block sizes.
    static let levellingAgreement = 0.001

    /// The master's analysis (report; waveform written to the work folder) and the rendered preview.
    ///
    /// With generation g's analysis at hand, one read of the master does both: the first render
    /// levels by the recorded loudness and peak while its decoded blocks feed the fresh analysis.
    /// The master's samples have not changed, so the two agree unless the analysis itself has (a
    /// new pipeline version); then the preview is rendered again from the fresh figures. Without a
    /// readable recorded analysis, the master is analysed first and rendered after (two reads).
    static func derive(masterPath: String, work: String, recorded: AnalysisReport?, settings: PipelineSettings,
                       take: String) throws -> (AnalysisReport, PreviewReport) {
        let waveformPath = work + "/waveform.dat", previewPath = work + "/preview.opus"
        let previewSettings = settings.preview(take: take)
        guard let recorded else {
            let pass = try MasterPass.run(upload: masterPath, masterPath: nil, waveformPath: waveformPath, settings: settings) { _ in }
            return (pass.report, try PreviewChain.render(sourcePath: masterPath, outputPath: previewPath, analysis: pass.report, settings: previewSettings))
        }
        let analysis = try MasterAnalysis(info: try AudioProbe.probe(path: masterPath), waveformPath: waveformPath, settings: settings)
        var preview = try PreviewChain.render(sourcePath: masterPath, outputPath: previewPath, analysis: recorded, settings: previewSettings) {
            try analysis.consume($0)
        }
        let fresh = try analysis.finish()
        if !agree(fresh.integratedLufs, recorded.integratedLufs) || !agree(fresh.truePeakDbtp, recorded.truePeakDbtp) {
            preview = try PreviewChain.render(sourcePath: masterPath, outputPath: previewPath, analysis: fresh, settings: previewSettings)
        }
        return (fresh, preview)
    }

    private static func agree(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): abs(a - b) <= levellingAgreement
        default: false
        }
    }

    /// The decoded preview against the target: loudness within ±0.5 LU (when the take has a
    /// loudness to level), true peak at or under the ceiling.
    private func check(_ measured: PreviewReport, source: AnalysisReport, settings: PipelineSettings) throws {
        if source.integratedLufs != nil {
            guard let loudness = measured.integratedLUFS, abs(loudness - settings.targetLUFS) <= Self.loudnessTolerance else {
                throw ReprocessError.previewOffTarget(measured: measured.integratedLUFS, target: settings.targetLUFS)
            }
        }
        if let peak = measured.truePeakDBTP, peak > settings.ceilingDBTP, source.integratedLufs != nil {
            throw ReprocessError.previewOverCeiling(measured: peak, ceiling: settings.ceilingDBTP)
        }
    }
}

/// Why a take's new preview was not committed.
enum ReprocessError: ReasonCoded {
    case previewOffTarget(measured: Double?, target: Double)
    case previewOverCeiling(measured: Double, ceiling: Double)

    var code: String {
        switch self {
        case .previewOffTarget: "preview_off_target"
        case .previewOverCeiling: "preview_over_ceiling"
        }
    }

    var message: String {
        switch self {
        case .previewOffTarget(let measured, let target):
            "The new preview measures \(measured.map { "\(($0 * 100).rounded() / 100) LUFS" } ?? "silent"), not \(target) ± 0.5 LU; the previous generation stays."
        case .previewOverCeiling(let measured, let ceiling):
            "The new preview peaks at \((measured * 100).rounded() / 100) dBTP, over the \(ceiling) dBTP ceiling; the previous generation stays."
        }
    }

    var category: ErrorCategory { .integrity }
}
