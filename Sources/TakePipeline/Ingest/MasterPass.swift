import AudioCodecs
import AudioDSP

/// The one decode pass of ingest: every block feeds the analysis (loudness, peaks, flags,
/// waveform; ``MasterAnalysis``) and, for integer PCM, the FLAC master.
struct MasterPass {
    struct Result {
        var info: AudioFileInfo
        var report: AnalysisReport
        /// `nil` when the upload is float or lossy: its original file is the master.
        var flac: FLACMasterSummary?
    }

    /// Decodes `upload` once: analysis, the FLAC master at `masterPath` (none when `nil`: reprocess
    /// reads an existing master) and the waveform `.dat` at `waveformPath`, streamed so memory does
    /// not grow with the take.
    static func run(
        upload: String, masterPath: String?, waveformPath: String, settings: PipelineSettings, progress: (Double) -> Void
    ) throws -> Result {
        let reader = try AudioFileReader(path: upload)
        let info = reader.info
        let block = reader.makeBlock(capacity: Transcoder.blockFrames)
        let analysis = try MasterAnalysis(info: info, waveformPath: waveformPath, settings: settings)
        let encoder = try masterPath.flatMap { masterPath in reader.integerBits.map { (masterPath, $0) } }.map { masterPath, bits in
            try FLACMasterEncoder(
                path: masterPath, sampleRate: info.sampleRate, channels: info.channels, bitsPerSample: bits,
                expectedFrames: info.frames, metadata: info.metadata,
                extraComments: [("SOURCE_FORMAT", "\(info.format)/\(info.subtype)")], settings: settings.flac)
        }
        do {
            while try reader.read(into: block) > 0 {
                try analysis.consume(block)
                try encoder?.write(block)
                progress(Double(reader.framesDecoded) / Double(max(info.frames, 1)))
            }
            let summary = try encoder?.finish()
            return Result(info: info, report: try analysis.finish(), flac: summary)
        } catch {
            encoder?.abandon()
            throw error
        }
    }
}
