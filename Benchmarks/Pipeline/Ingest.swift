import AudioCodecs
import TakePipeline

/// Ingest's CPU time against the codecs alone (decode + libFLAC + libopus at the same settings) on
/// the same file.
enum IngestBenchmark {
    static func ours(_ path: String, vaultDirectory: String) async throws -> Double {
        let vault = try Vault.initialize(at: vaultDirectory, environment: [:])
        let start = Measure.cpu()
        _ = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench", tier: .studio))
        return Measure.cpu() - start
    }

    /// Decode → FLAC (level 5, verify on) and decode → Opus (128 kbps, complexity 10), nothing else.
    static func anchor(_ path: String, scratch: String) throws -> Double {
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
        return Measure.cpu() - start
    }
}
