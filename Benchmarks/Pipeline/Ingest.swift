import AudioCodecs
import TakePipeline
import TakevaultCore

/// Ingest's CPU time against the codecs alone (decode + libFLAC + libopus at the same settings:
/// encoding the preview and decoding it back) on the same file. Compared on user time: system time here is mostly the fsyncs and page cache of
/// the files written, whose cost is the shared machine's disk, not takevault's code; it is reported
/// beside the ratio.
enum IngestBenchmark {
    struct Cost {
        var user: Double
        var system: Double
    }

    static func ours(_ path: String, vaultDirectory: String) async throws -> Cost {
        let vault = try Vault.initialize(at: vaultDirectory, environment: [:])
        let start = Measure.cpu()
        _ = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench", tier: .studio))
        let end = Measure.cpu()
        return Cost(user: end.user - start.user, system: end.system - start.system)
    }

    /// Restores the master and the preview of the take `path` was ingested as (wall seconds, bytes).
    static func restore(_ path: String, vaultDirectory: String) async throws -> (seconds: Double, bytes: Int64) {
        let vault = try Vault.open(at: vaultDirectory, environment: [:])
        let result = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench", tier: .studio))
        let start = Measure.wall()
        var bytes: Int64 = 0
        for kind in [ArtefactKind.master, .preview] {
            bytes += try await Restore(vault: vault).run(take: result.takeID, artefact: kind, to: vaultDirectory + "/restored-" + kind.rawValue).bytes
        }
        return (Measure.wall() - start, bytes)
    }

    /// The codec work ingest must do, alone: decode → FLAC (level 5, verify on) and decode → Opus
    /// (128 kbps, complexity 10), then libopus decoding that Opus file back (ingest decodes its
    /// preview to check the ceiling and the loudness before it commits). `encodeOnly` is the same
    /// run's cost before the decode, reported beside it.
    static func anchor(_ path: String, scratch: String) throws -> (full: Cost, encodeOnly: Cost) {
        let start = Measure.cpu()
        let reader = try AudioFileReader(path: path)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        let flac = try FLACMasterEncoder(path: scratch + "/anchor.flac", sampleRate: info.sampleRate, channels: info.channels,
                                         bitsPerSample: reader.integerBits!, expectedFrames: info.frames)
        let opus = try OpusPreviewEncoder(path: scratch + "/anchor.opus", sampleRate: info.sampleRate, layout: info.channelLayout)
        while try reader.read(into: block) > 0 {
            try flac.write(block)
            try opus.write(block)
        }
        _ = try flac.finish()
        _ = try opus.finish()
        let encoded = Measure.cpu()
        let decoder = try OggOpusReader(path: scratch + "/anchor.opus")
        while try decoder.read() > 0 {}
        let end = Measure.cpu()
        return (Cost(user: end.user - start.user, system: end.system - start.system),
                Cost(user: encoded.user - start.user, system: encoded.system - start.system))
    }
}
