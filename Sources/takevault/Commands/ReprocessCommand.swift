import ArgumentParser
import TakePipeline
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `takevault reprocess`: re-derive previews, waveforms and analyses from the archived masters.
struct ReprocessCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprocess",
        abstract: "Re-derive takes' previews, waveforms and analyses from their masters with new settings; masters are never touched.",
        discussion: """
            Selectors combine with AND; --all selects everything. Without settings, takes are brought to the vault's \
            current settings and pipeline version. Takes already made that way are skipped, so a second run (or a run \
            after an interruption) does only what is left. Each new preview is decoded and measured before it is \
            committed as a new manifest generation; the old generation is then retired, unless a hold covers the take \
            (the sweep retires it once the hold is lifted). Restricted owners are skipped. Exit 1 if a take failed.
            """
    )

    @OptionGroup var vault: VaultOptions
    @Option(name: .customLong("take"), parsing: .upToNextOption, help: "Take ids.") var takes: [String] = []
    @Option(help: "Only this owner's takes.") var owner: String?
    @Option(help: "Only this session's takes.") var session: String?
    @Option(help: "Only takes of this tier.") var tier: Tier?
    @Option(help: "Only takes ingested before this instant (ISO 8601 or YYYY-MM-DD).") var ingestedBefore: String?
    @Option(help: "Only takes ingested at or after this instant (ISO 8601 or YYYY-MM-DD).") var ingestedAfter: String?
    @Option(help: "Only takes made by a pipeline version older than this (e.g. 2).") var pipelineOlderThan: Int?
    @Flag(help: "Select every take.") var all = false
    @Option(parsing: .unconditional, help: "Preview loudness target, LUFS.") var targetLufs: Double?
    @Option(parsing: .unconditional, help: "Preview true-peak ceiling, dBTP.") var ceilingDbtp: Double?
    @Option(help: "Opus bitrate, bit/s.") var opusBitrate: Int?
    @Option(help: "Opus complexity, 0–10.") var opusComplexity: Int?
    @Option(help: "Waveform samples per pixel.") var waveformZoom: Int?
    @Option(help: "A JSON settings file: any of target_lufs, ceiling_dbtp, opus_bitrate, opus_complexity, waveform_zoom, waveform_bits (flags override it).") var settings: String?
    @Option(help: "Takes processed at once (default 2).") var jobs = 2
    @Flag(help: "List what would change; change nothing.") var dryRun = false
    @Flag(help: "Print JSON: the summary and one object per take.") var json = false

    func execute() async throws {
        var selection = ReprocessSelection()
        selection.takes = takes
        selection.owner = owner
        selection.session = session
        selection.tier = tier
        selection.ingestedBefore = try ingestedBefore.map { try Self.instant($0, flag: "--ingested-before") }
        selection.ingestedAfter = try ingestedAfter.map { try Self.instant($0, flag: "--ingested-after") }
        selection.pipelineOlderThan = pipelineOlderThan
        selection.all = all
        guard selection.isSpecified else {
            throw ValidationError("Say which takes: --take, --owner, --session, --tier, --ingested-before/after, --pipeline-older-than, or --all.")
        }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be 1–16.") }
        let fromFile = try settings.map(Self.readSettings)
        let opened = try vault.open { settings in
            if let fromFile { fromFile(&settings) }
            if let targetLufs { settings.targetLUFS = targetLufs }
            if let ceilingDbtp { settings.ceilingDBTP = ceilingDbtp }
            if let opusBitrate { settings.opusBitrate = opusBitrate }
            if let opusComplexity { settings.opusComplexity = opusComplexity }
            if let waveformZoom { settings.waveformZoom = waveformZoom }
        }

        let display = BatchProgress(label: dryRun ? "reprocess (dry run)" : "reprocess", quiet: json)
        let result: Reprocess.Report
        do {
            defer { display.finish() }
            result = try await Reprocess(vault: opened).run(selection, dryRun: dryRun, concurrency: jobs) { event in display.handle(event) }
        }
        if json {
            try JSONOutput.print(result)
        } else {
            FileDescriptorOutput.standardOutput.write(Self.summary(result))
        }
        if result.failed > 0 { throw ExitStatus.failure.exitCode }
    }

    static func instant(_ text: String, flag: String) throws -> String {
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        guard let date = Timestamp.date(full) else { throw ValidationError("\(flag) must be ISO 8601 or YYYY-MM-DD.") }
        return Timestamp.string(date)
    }

    /// The settings file: a JSON object with any of `target_lufs`, `ceiling_dbtp`, `opus_bitrate`,
    /// `opus_complexity`, `waveform_zoom`, `waveform_bits`; keys it leaves out keep the vault's
    /// values, unknown keys are refused (a typo must not pass for "no change").
    static func readSettings(_ path: String) throws -> @Sendable (inout PipelineSettings) -> Void {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) else {
            throw PipelineError.invalidSetting(name: "--settings", value: path, allowed: "a readable JSON object")
        }
        let known = ["target_lufs", "ceiling_dbtp", "opus_bitrate", "opus_complexity", "waveform_zoom", "waveform_bits"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw PipelineError.invalidSetting(name: "--settings", value: unknown, allowed: known.joined(separator: ", "))
        }
        func number(_ key: String) throws -> Double? {
            guard let value = object[key] else { return nil }
            guard let number = value.doubleValue else {
                throw PipelineError.invalidSetting(name: key, value: "\(value)", allowed: "a number")
            }
            return number
        }
        let target = try number("target_lufs"), ceiling = try number("ceiling_dbtp"), bitrate = try number("opus_bitrate")
        let complexity = try number("opus_complexity"), zoom = try number("waveform_zoom"), bits = try number("waveform_bits")
        return { settings in
            if let target { settings.targetLUFS = target }
            if let ceiling { settings.ceilingDBTP = ceiling }
            if let bitrate { settings.opusBitrate = Int(bitrate) }
            if let complexity { settings.opusComplexity = Int(complexity) }
            if let zoom { settings.waveformZoom = Int(zoom) }
            if let bits { settings.waveformBits = Int(bits) }
        }
    }

    static func summary(_ report: Reprocess.Report) -> String {
        var lines: [String] = []
        for take in report.takes {
            switch take.outcome {
            case .done:
                let level = take.preview?.integratedLUFS.map { String(format1: $0) + " LUFS" } ?? "silent"
                let peak = take.preview?.truePeakDBTP.map { String(format1: $0) + " dBTP" } ?? "—"
                lines.append("\(take.takeID) (\(take.owner)): generation \(take.generation ?? 0); preview \(level), \(peak)\(take.oldGenerationKept ? "; old generation kept (held)" : "")")
            case .wouldReprocess:
                lines.append("\(take.takeID) (\(take.owner)): would reprocess — \(take.changes.joined(separator: ", "))")
            case .skipped:
                lines.append("\(take.takeID) (\(take.owner)): skipped [\(take.reason?.code ?? "")]")
            case .failed:
                lines.append("\(take.takeID) (\(take.owner)): FAILED [\(take.reason?.code ?? "")] \(take.reason?.message ?? "")")
            }
        }
        let counts = report.dryRun
            ? "\(report.wouldReprocess) would be reprocessed, \(report.skipped) skipped"
            : "\(report.done) reprocessed, \(report.skipped) skipped, \(report.failed) failed"
        let d = report.derivation
        lines.append("\(counts) (\(d.pipelineVersion): \(String(format1: d.targetLUFS)) LUFS, \(String(format1: d.ceilingDBTP)) dBTP, Opus \(d.opusBitrate / 1000) kbit/s c\(d.opusComplexity), waveform 1:\(d.waveformZoom))")
        return lines.joined(separator: "\n") + "\n"
    }
}
