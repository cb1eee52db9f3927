import AudioDSP

/// Makes the Opus preview: gain to the target loudness, a true-peak limiter only where that gain
/// would break the ceiling, resampling to 48 kHz (``PolyphaseResampler``), Opus encoding; then
/// decodes the preview file and measures it (``DecodedPreviewLevels``).
///
/// The gain is linear: one number for the whole take. Opus moves peaks when it encodes — on sharp
/// transients the decoded true peak can sit 1–3 dB above what went in — so the decoded preview is
/// measured. If it breaks the ceiling, the render is repeated with the limiter's ceiling lowered by
/// the largest overshoot seen; if limiting pulled the loudness off target, the gain is corrected.
/// The ceiling is a hard limit, the loudness a tolerance (±``loudnessTolerance``): of at most
/// ``maximumAttempts`` renders, the kept one is under the ceiling and closest to the target. Reads
/// the source twice per render and the preview once; memory is a few blocks whatever the length.
public enum PreviewChain {
    public static let maximumAttempts = 5
    /// Decoded loudness within this of the target is on target, LU: inside the ±0.5 LU promise with
    /// room for two meters' disagreement (≤ 0.05 LU). Opus alone moves noise-like material by
    /// 0.3–0.4 LU; a tighter tolerance would re-render such takes for nothing.
    public static let loudnessTolerance = 0.4
    /// Extra room below the ceiling when correcting for Opus's overshoot, dB.
    static let overshootMargin = 0.1

    /// Renders the preview of `sourcePath` at `outputPath`. `analysis` (the source's, as
    /// ``FileAnalysis`` measures it) is measured here when not given.
    ///
    /// `firstReadTap`, when given, sees every decoded block of the source's first read, so a caller
    /// can analyse the source in the same pass (reprocess, which levels by the analysis it already
    /// has and checks it against the fresh one).
    public static func render(
        sourcePath: String, outputPath: String, analysis: AnalysisReport? = nil, settings: PreviewSettings = PreviewSettings(),
        firstReadTap: ((DecodedBlock) throws -> Void)? = nil
    ) throws -> PreviewReport {
        try settings.validate()
        let source = try analysis ?? FileAnalysis.analyze(path: sourcePath).report
        guard settings.normalize, let sourceLoudness = source.integratedLufs, let sourcePeak = source.truePeakDbtp else {
            return try renderOnce(sourcePath: sourcePath, outputPath: outputPath, plan: Plan(gainDB: 0, limiterCeilingDB: nil), settings: settings,
                                  attempt: 1, tap: firstReadTap)
        }
        var plan = Plan(gainDB: settings.targetLUFS - sourceLoudness, limiterCeilingDB: nil)
        var worstOvershoot = 0.0
        var best: (plan: Plan, report: PreviewReport)?
        for attempt in 1...maximumAttempts {
            // The limiter runs only when the gain would put the peak over the (corrected) ceiling.
            let ceiling = settings.ceilingDBTP - worstOvershoot
            plan.limiterCeilingDB = sourcePeak + plan.gainDB > ceiling ? ceiling : nil
            let report = try renderOnce(sourcePath: sourcePath, outputPath: outputPath, plan: plan, settings: settings, attempt: attempt,
                                        tap: attempt == 1 ? firstReadTap : nil)
            guard let peak = report.truePeakDBTP, let loudness = report.integratedLUFS else { return report }
            let peakOK = peak <= settings.ceilingDBTP
            let loudnessError = abs(loudness - settings.targetLUFS)
            if peakOK, best.map({ loudnessError < abs(($0.report.integratedLUFS ?? 0) - settings.targetLUFS) }) ?? true {
                best = (plan, report)
            }
            if peakOK && loudnessError <= loudnessTolerance { return report }
            if !peakOK {
                let limitedTo = plan.limiterCeilingDB ?? (sourcePeak + plan.gainDB)
                worstOvershoot = max(worstOvershoot, peak - limitedTo + overshootMargin)
            }
            if loudnessError > loudnessTolerance { plan.gainDB += settings.targetLUFS - loudness }
        }
        guard let best else {
            // Never under the ceiling: keep the last render, whose report says so.
            return try renderOnce(sourcePath: sourcePath, outputPath: outputPath, plan: plan, settings: settings, attempt: maximumAttempts + 1)
        }
        // The last render was not the best: render the best plan again (Opus is deterministic).
        var report = try renderOnce(sourcePath: sourcePath, outputPath: outputPath, plan: best.plan, settings: settings, attempt: maximumAttempts + 1)
        report.attempts = maximumAttempts + 1
        return report
    }

    /// A gain and, when needed, a limiter ceiling.
    struct Plan {
        var gainDB: Double
        var limiterCeilingDB: Double?
    }

    private static func renderOnce(
        sourcePath: String, outputPath: String, plan: Plan, settings: PreviewSettings, attempt: Int, tap: ((DecodedBlock) throws -> Void)? = nil
    ) throws -> PreviewReport {
        let result = try encode(sourcePath: sourcePath, outputPath: outputPath, gainDB: plan.gainDB, limiterCeilingDB: plan.limiterCeilingDB,
                                settings: settings, tap: tap)
        let decoded = try DecodedPreviewLevels.measure(path: outputPath)
        return PreviewReport(
            gainDB: plan.gainDB, limiterEngaged: result.engaged,
            limiterMaxReductionDB: result.engaged ? -20 * log10(Double(result.minimumGain)) : 0,
            integratedLUFS: decoded.integratedLUFS, truePeakDBTP: decoded.truePeakDBTP,
            attempts: attempt, opus: result.summary)
    }

    private struct RenderResult {
        var engaged: Bool
        var minimumGain: Float
        var summary: OpusPreviewSummary
    }

    /// One render: decode → gain → (limiter) → resample to 48 kHz → Opus.
    private static func encode(
        sourcePath: String, outputPath: String, gainDB: Double, limiterCeilingDB: Double?, settings: PreviewSettings,
        tap: ((DecodedBlock) throws -> Void)?
    ) throws -> RenderResult {
        let reader = try AudioFileReader(path: sourcePath)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        var opus = settings.opus
        if settings.normalize {
            // RFC 7845: R128_TRACK_GAIN brings the track to −23 LUFS in players that honour it.
            opus.r128TrackGainDB = -23 - settings.targetLUFS
        }
        let encoder = try OpusPreviewEncoder(path: outputPath, sampleRate: 48_000, layout: info.channelLayout, metadata: info.metadata, settings: opus)
        let stages = PreviewStages(sampleRate: info.sampleRate, channels: info.channels, gainDB: gainDB, limiterCeilingDB: limiterCeilingDB)
        do {
            while try reader.read(into: block) > 0 {
                try tap?(block)
                try stages.process(block.floatChannels, frames: block.frames) { try encoder.write($0, frames: $1) }
            }
            try stages.finish { try encoder.write($0, frames: $1) }
            return RenderResult(engaged: stages.limiterEngaged, minimumGain: stages.limiterMinimumGain, summary: try encoder.finish())
        } catch {
            encoder.abandon()
            throw error
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
