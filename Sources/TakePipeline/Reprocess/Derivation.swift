import Crypto
import TakeArchive
import TakevaultCore

/// What a take's derived artefacts (preview, waveform, analysis report) are made with: the
/// pipeline version and the settings that shape them. The master, the chunking and retention are
/// not part of it. Two takes with equal derivations have previews made the same way, so reprocess
/// skips a take whose manifest records the derivation it was asked for.
public struct Derivation: Sendable, Equatable, Codable {
    public var pipelineVersion: String
    public var targetLUFS: Double
    public var ceilingDBTP: Double
    public var opusBitrate: Int
    public var opusComplexity: Int
    public var waveformZoom: Int
    public var waveformBits: Int

    enum CodingKeys: String, CodingKey {
        case pipelineVersion = "pipeline_version", targetLUFS = "target_lufs", ceilingDBTP = "ceiling_dbtp", opusBitrate = "opus_bitrate"
        case opusComplexity = "opus_complexity", waveformZoom = "waveform_zoom", waveformBits = "waveform_bits"
    }

    public init(settings: PipelineSettings, pipelineVersion: String = Ingest.pipelineVersion) {
        self.pipelineVersion = pipelineVersion
        targetLUFS = settings.targetLUFS
        ceilingDBTP = settings.ceilingDBTP
        opusBitrate = settings.opusBitrate
        opusComplexity = settings.opusComplexity
        waveformZoom = settings.waveformZoom
        waveformBits = settings.waveformBits
    }

    /// Sets these derivation settings in `settings` (the pipeline version is not a setting).
    public func apply(to settings: inout PipelineSettings) {
        settings.targetLUFS = targetLUFS
        settings.ceilingDBTP = ceilingDBTP
        settings.opusBitrate = opusBitrate
        settings.opusComplexity = opusComplexity
        settings.waveformZoom = waveformZoom
        settings.waveformBits = waveformBits
    }

    /// The derivation a manifest records (its pipeline version and effective settings).
    public init?(recorded pipeline: PipelineRecord) {
        guard case .object(let settings) = pipeline.settings,
              let target = settings["target_lufs"]?.doubleValue, let ceiling = settings["ceiling_dbtp"]?.doubleValue,
              let bitrate = settings["opus_bitrate"]?.doubleValue, let complexity = settings["opus_complexity"]?.doubleValue,
              let zoom = settings["waveform_zoom"]?.doubleValue, let bits = settings["waveform_bits"]?.doubleValue
        else { return nil }
        pipelineVersion = pipeline.version
        targetLUFS = target
        ceilingDBTP = ceiling
        opusBitrate = Int(bitrate)
        opusComplexity = Int(complexity)
        waveformZoom = Int(zoom)
        waveformBits = Int(bits)
    }

    /// The recorded settings with this derivation's values in place (what a reprocessed manifest
    /// records: the master's settings as they were, the derived artefacts' as they are now).
    func applied(to recorded: JSONValue) -> JSONValue {
        guard case .object(var settings) = recorded else { return recorded }
        settings["target_lufs"] = .number(targetLUFS)
        settings["ceiling_dbtp"] = .number(ceilingDBTP)
        settings["opus_bitrate"] = .number(Double(opusBitrate))
        settings["opus_complexity"] = .number(Double(opusComplexity))
        settings["waveform_zoom"] = .number(Double(waveformZoom))
        settings["waveform_bits"] = .number(Double(waveformBits))
        return .object(settings)
    }

    /// The fields that differ from `other`, as `name: old → new` (for dry runs and reports).
    func differences(from other: Derivation?) -> [String] {
        guard let other else { return ["settings: unrecorded → current"] }
        var changes: [String] = []
        func note<T: Equatable>(_ name: String, _ old: T, _ new: T) { if old != new { changes.append("\(name): \(old) → \(new)") } }
        note("pipeline", other.pipelineVersion, pipelineVersion)
        note("target_lufs", other.targetLUFS, targetLUFS)
        note("ceiling_dbtp", other.ceilingDBTP, ceilingDBTP)
        note("opus_bitrate", other.opusBitrate, opusBitrate)
        note("opus_complexity", other.opusComplexity, opusComplexity)
        note("waveform_zoom", other.waveformZoom, waveformZoom)
        note("waveform_bits", other.waveformBits, waveformBits)
        return changes
    }

    /// The trailing number of a pipeline version (`takevault-pipeline/1` → 1).
    static func versionNumber(_ version: String) -> Int? {
        version.split(separator: "/").last.flatMap { Int($0) }
    }
}
