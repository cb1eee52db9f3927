import AudioCodecs
import Dispatch
import Synchronization
import AudioDSP
import TakePipeline

/// Reprocessing a batch of 5-minute takes to a new target against the codecs and DSP alone: per
/// take, decode the FLAC master, analyse it (loudness, true peak, waveform: the DSP), encode Opus at
/// the same settings, decode the Opus back and measure it (the check). Ours also unseals the
/// master, renders the preview through the gain (and the limiter where needed), and seals and
/// stores the new artefacts.
enum ReprocessBenchmark {
    struct Round {
        var oursUserPerTake: Double
        var oursSystemPerTake: Double
        var anchorUserPerTake: Double
        var wallSeconds: Double
        var takes: Int
    }

    /// A vault with `takes` distinct 5-minute takes (one owner each: the same file for another
    /// owner is another take), and the master of the first restored to `master` for the anchor.
    static func prepare(_ path: String, takes: Int, vaultDirectory: String, master: String) async throws -> Vault {
        let vault = try Vault.initialize(at: vaultDirectory, environment: [:])
        var first: String?
        for index in 0..<takes {
            let result = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench-\(index)", tier: .studio))
            first = first ?? result.takeID
        }
        _ = try await Restore(vault: vault).run(take: first!, artefact: .master, to: master)
        return vault
    }

    /// Reprocesses every take of the vault to `target` (two at a time, as the command does).
    static func ours(vaultDirectory: String, target: Double) async throws -> (user: Double, system: Double, wall: Double, done: Int) {
        let vault = try Vault.open(at: vaultDirectory, environment: [:]) { $0.targetLUFS = target }
        var selection = ReprocessSelection()
        selection.all = true
        let start = Measure.cpu()
        let wallStart = Measure.wall()
        let report = try await Reprocess(vault: vault).run(selection, concurrency: 2)
        let wall = Measure.wall() - wallStart
        let end = Measure.cpu()
        return (end.user - start.user, end.system - start.system, wall, report.done)
    }

    /// The codec and DSP work reprocess must do, alone, `takes` times, two at a time as `ours` runs
    /// (so both sides share the two cores the same way: user time per thread grows when a sibling
    /// thread competes for caches and the core, and a serial anchor against a parallel batch
    /// measured that contention, not our work): decode the FLAC master → analysis + waveform →
    /// Opus (128 kbps, complexity 10), then decode that Opus file back with libopus and measure
    /// its loudness and true peak (the check before a commit). User seconds of the process in
    /// full, and the sum of each thread's user seconds up to the end of its encodes (reported beside).
    static func anchor(master: String, takes: Int, scratch: String) throws -> (full: Double, encodeOnly: Double) {
        let lanes = min(2, takes)
        let results = Mutex<[Result<Double, any Error>]>([])
        let start = Measure.cpu()
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let outcome = Result { () throws -> Double in
                var encodeOnly = 0.0
                for _ in stride(from: lane, to: takes, by: lanes) {
                    encodeOnly += try anchorTake(master: master, preview: scratch + "/anchor-reprocess-\(lane).opus")
                }
                return encodeOnly
            }
            results.withLock { $0.append(outcome) }
        }
        let full = Measure.cpu().user - start.user
        var encodeOnly = 0.0
        for outcome in results.withLock({ $0 }) { encodeOnly += try outcome.get() }
        return (full, encodeOnly)
    }

    /// One take of the anchor on the calling thread; returns that thread's user seconds up to the
    /// end of the encode.
    private static func anchorTake(master: String, preview: String) throws -> Double {
        let takeStart = Measure.threadCPU()
        let reader = try AudioFileReader(path: master)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        var analyzer = TakeAnalyzer(sampleRate: info.sampleRate, layout: info.channelLayout,
                                    waveform: WaveformBuilder(sampleRate: info.sampleRate, channels: info.channels, samplesPerPixel: 256, bits: .sixteen))
        let opus = try OpusPreviewEncoder(path: preview, sampleRate: info.sampleRate, layout: info.channelLayout)
        while try reader.read(into: block) > 0 {
            analyzer.process(block.floatChannels, frames: block.frames)
            _ = analyzer.drainWaveform()
            try opus.write(block)
        }
        _ = analyzer.result()
        _ = try opus.finish()
        let encodeOnly = Measure.threadCPU().user - takeStart.user
        _ = try DecodedPreviewLevels.measure(path: preview)
        return encodeOnly
    }
}
