import AudioCodecs
import Crypto
import AudioDSP

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The settings that shape what ingest produces. Defaults here, overridden by the vault's
/// `config.json`, then by `TAKEVAULT_*` environment variables, then by command-line flags; the
/// effective values are recorded in every manifest.
public struct PipelineSettings: Sendable, Equatable, Codable {
    public var targetLUFS: Double = -16
    public var ceilingDBTP: Double = -1
    public var opusBitrate: Int = 128_000
    public var opusComplexity: Int = 10
    public var flacLevel: Int = 5
    /// Bytes per chunk before sealing: 4 MiB.
    public var chunkSize: Int = 4 * 1_024 * 1_024
    public var waveformZoom: Int = 256
    public var waveformBits: Int = 16
    public var retention = RetentionPolicy()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case targetLUFS = "target_lufs", ceilingDBTP = "ceiling_dbtp", opusBitrate = "opus_bitrate", opusComplexity = "opus_complexity"
        case flacLevel = "flac_level", chunkSize = "chunk_size", waveformZoom = "waveform_zoom", waveformBits = "waveform_bits", retention
    }

    /// Decodes leniently: a config file may set any subset.
    public init(from decoder: Decoder) throws {
        let defaults = PipelineSettings()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        targetLUFS = try container.decodeIfPresent(Double.self, forKey: .targetLUFS) ?? defaults.targetLUFS
        ceilingDBTP = try container.decodeIfPresent(Double.self, forKey: .ceilingDBTP) ?? defaults.ceilingDBTP
        opusBitrate = try container.decodeIfPresent(Int.self, forKey: .opusBitrate) ?? defaults.opusBitrate
        opusComplexity = try container.decodeIfPresent(Int.self, forKey: .opusComplexity) ?? defaults.opusComplexity
        flacLevel = try container.decodeIfPresent(Int.self, forKey: .flacLevel) ?? defaults.flacLevel
        chunkSize = try container.decodeIfPresent(Int.self, forKey: .chunkSize) ?? defaults.chunkSize
        waveformZoom = try container.decodeIfPresent(Int.self, forKey: .waveformZoom) ?? defaults.waveformZoom
        waveformBits = try container.decodeIfPresent(Int.self, forKey: .waveformBits) ?? defaults.waveformBits
        retention = try container.decodeIfPresent(RetentionPolicy.self, forKey: .retention) ?? defaults.retention
    }

    /// Applies `TAKEVAULT_TARGET_LUFS`, `TAKEVAULT_CEILING_DBTP`, `TAKEVAULT_OPUS_BITRATE`,
    /// `TAKEVAULT_OPUS_COMPLEXITY`, `TAKEVAULT_FLAC_LEVEL`, `TAKEVAULT_CHUNK_SIZE`,
    /// `TAKEVAULT_WAVEFORM_ZOOM` where set.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        func double(_ name: String) throws -> Double? {
            guard let text = environment[name] else { return nil }
            guard let value = Double(text) else { throw PipelineError.invalidSetting(name: name, value: text, allowed: "a number") }
            return value
        }
        func int(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw PipelineError.invalidSetting(name: name, value: text, allowed: "an integer") }
            return value
        }
        if let value = try double("TAKEVAULT_TARGET_LUFS") { targetLUFS = value }
        if let value = try double("TAKEVAULT_CEILING_DBTP") { ceilingDBTP = value }
        if let value = try int("TAKEVAULT_OPUS_BITRATE") { opusBitrate = value }
        if let value = try int("TAKEVAULT_OPUS_COMPLEXITY") { opusComplexity = value }
        if let value = try int("TAKEVAULT_FLAC_LEVEL") { flacLevel = value }
        if let value = try int("TAKEVAULT_CHUNK_SIZE") { chunkSize = value }
        if let value = try int("TAKEVAULT_WAVEFORM_ZOOM") { waveformZoom = value }
    }

    public func validate() throws {
        try preview.validate()
        try flac.validate()
        guard (64 * 1_024...64 * 1_024 * 1_024).contains(chunkSize) else {
            throw PipelineError.invalidSetting(name: "chunk_size", value: "\(chunkSize)", allowed: "64 KiB – 64 MiB")
        }
        guard (2...65_536).contains(waveformZoom) else {
            throw PipelineError.invalidSetting(name: "waveform_zoom", value: "\(waveformZoom)", allowed: "2 – 65536 samples per pixel")
        }
        guard waveformBits == 8 || waveformBits == 16 else {
            throw PipelineError.invalidSetting(name: "waveform_bits", value: "\(waveformBits)", allowed: "8 or 16")
        }
    }

    public var preview: PreviewSettings {
        PreviewSettings(targetLUFS: targetLUFS, ceilingDBTP: ceilingDBTP, opus: OpusPreviewSettings(bitrate: opusBitrate, complexity: opusComplexity))
    }

    /// The preview settings for one take: the Ogg stream's serial number comes from the take id,
    /// so the same master and settings always make the same preview bytes (an interrupted
    /// reprocess redoes exactly the chunks it had written; a repeated one deduplicates).
    func preview(take: String) -> PreviewSettings {
        var settings = preview
        let digest = Array(SHA256.hash(data: Array(("takevault/ogg-serial\n" + take).utf8)))
        settings.opus.serialNumber = Int32(bitPattern: UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3]))
        return settings
    }

    public var flac: FLACSettings { FLACSettings(compressionLevel: flacLevel) }

    public var waveform: WaveformOptions {
        WaveformOptions(samplesPerPixel: waveformZoom, bits: waveformBits == 8 ? .eight : .sixteen)
    }
}
