/// The artefacts the codec layer can write.
public enum TranscodeTarget: String, Sendable, CaseIterable, Codable {
    /// The lossless FLAC master (integer PCM uploads only).
    case flac
    /// The Ogg Opus preview (levelled by ``PreviewChain``).
    case opus
}

/// What a transcode produced.
public enum TranscodeSummary: Sendable, Equatable {
    case flac(FLACMasterSummary)
    case opus(PreviewReport)
}

/// Decodes an upload and writes one artefact from it, streaming block by block.
///
/// This is the codec layer end to end, as the `transcode` command and the demo use it; the ingest
/// pipeline composes the same reader and encoders with the analysis stages in between. On any
/// error nothing is left at `outputPath` and the source is untouched.
public enum Transcoder {
    /// Frames per decoded block: 4096 frames is 85 ms at 48 kHz, large enough that per-call costs
    /// vanish and small enough to stay in L2 for 8 channels.
    public static let blockFrames = 4_096

    public static func transcode(
        _ sourcePath: String, to target: TranscodeTarget, outputPath: String,
        flac: FLACSettings = FLACSettings(), preview: PreviewSettings = PreviewSettings()
    ) throws -> TranscodeSummary {
        switch target {
        case .flac: .flac(try writeMaster(sourcePath, outputPath: outputPath, settings: flac))
        case .opus: .opus(try PreviewChain.render(sourcePath: sourcePath, outputPath: outputPath, settings: preview))
        }
    }

    /// Decodes the upload's exact integer samples into a verified FLAC master.
    public static func writeMaster(_ sourcePath: String, outputPath: String, settings: FLACSettings = FLACSettings()) throws -> FLACMasterSummary {
        let reader = try AudioFileReader(path: sourcePath)
        let info = reader.info
        guard let bits = reader.integerBits else {
            throw UploadRejected.masterNeedsIntegerPCM(sampleKind: "\(info.sampleKind.rawValue) (\(info.subtype))")
        }
        let block = reader.makeBlock(capacity: blockFrames)
        let encoder = try FLACMasterEncoder(
            path: outputPath, sampleRate: info.sampleRate, channels: info.channels, bitsPerSample: bits,
            expectedFrames: info.frames, metadata: info.metadata,
            extraComments: [("SOURCE_FORMAT", "\(info.format)/\(info.subtype)")], settings: settings)
        do {
            while try reader.read(into: block) > 0 { try encoder.write(block) }
            return try encoder.finish()
        } catch {
            encoder.abandon()
            throw error
        }
    }
}
