import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFLAC

/// Writes the lossless master: integer PCM into a FLAC file with libFLAC's stream encoder.
///
/// The encoder runs with verify on (libFLAC decodes every frame it writes and compares it with the
/// input), writes the MD5 of the audio into STREAMINFO, a seek table every
/// ``FLACSettings/seekPointSpacingSeconds`` and the probe's metadata as Vorbis comments. 4- to
/// 32-bit PCM is stored exactly (libFLAC ≥ 1.4 encodes 32-bit). The file appears at its path only
/// when ``finish()`` succeeds; ``abandon()`` (or deinit without finish) leaves nothing behind.
/// Memory does not depend on the take's length. Not thread-safe.
public final class FLACMasterEncoder {
    public let settings: FLACSettings
    public let channels: Int
    public let bitsPerSample: Int
    /// Frames handed to ``write(_:frames:)`` so far.
    public private(set) var framesWritten: Int64 = 0

    private let output: AtomicOutput
    private var encoder: UnsafeMutablePointer<FLAC__StreamEncoder>?
    private var metadataBlocks: [UnsafeMutablePointer<FLAC__StreamMetadata>] = []
    private var finished = false

    /// Starts a master at `path` for `channels` × `bitsPerSample` PCM at `sampleRate`.
    ///
    /// - Parameters:
    ///   - expectedFrames: the take's length if known; it sizes the seek table and lets libFLAC
    ///     write STREAMINFO right the first time.
    ///   - metadata: kept as Vorbis comments (see ``VorbisCommentFields``).
    ///   - extraComments: further fields, e.g. the source format.
    public init(
        path: String, sampleRate: Int, channels: Int, bitsPerSample: Int, expectedFrames: Int64?,
        metadata: EmbeddedMetadata = EmbeddedMetadata(), extraComments: [(name: String, value: String)] = [],
        settings: FLACSettings = FLACSettings()
    ) throws {
        try settings.validate()
        guard (4...32).contains(bitsPerSample) else {
            throw CodecFailure.invalidSetting(name: "flac bits per sample", value: "\(bitsPerSample)", allowed: "4–32")
        }
        self.settings = settings
        self.channels = channels
        self.bitsPerSample = bitsPerSample
        self.output = try AtomicOutput(finalPath: path)

        guard let encoder = FLAC__stream_encoder_new() else {
            throw CodecFailure.encoderSetup(codec: "FLAC", detail: "out of memory")
        }
        self.encoder = encoder
        var configured = FLAC__stream_encoder_set_verify(encoder, 1) != 0
        configured = configured && FLAC__stream_encoder_set_compression_level(encoder, UInt32(settings.compressionLevel)) != 0
        configured = configured && FLAC__stream_encoder_set_channels(encoder, UInt32(channels)) != 0
        configured = configured && FLAC__stream_encoder_set_bits_per_sample(encoder, UInt32(bitsPerSample)) != 0
        configured = configured && FLAC__stream_encoder_set_sample_rate(encoder, UInt32(sampleRate)) != 0
        if let expectedFrames {
            configured = configured && FLAC__stream_encoder_set_total_samples_estimate(encoder, UInt64(expectedFrames)) != 0
        }
        metadataBlocks = try Self.makeMetadata(
            sampleRate: sampleRate, expectedFrames: expectedFrames, settings: settings,
            comments: VorbisCommentFields.fields(for: metadata) + extraComments)
        configured = configured && FLAC__stream_encoder_set_metadata(encoder, metadataBlocks.map { Optional($0) }.withUnsafeBufferPointer { buffer in
            UnsafeMutablePointer(mutating: buffer.baseAddress)
        }, UInt32(metadataBlocks.count)) != 0
        guard configured else {
            throw CodecFailure.encoderSetup(codec: "FLAC", detail: "settings refused (\(channels) channels, \(bitsPerSample) bit, \(sampleRate) Hz)")
        }
        let status = FLAC__stream_encoder_init_file(encoder, output.temporaryPath, nil, nil)
        guard status == FLAC__STREAM_ENCODER_INIT_STATUS_OK else {
            let detail = status == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR
                ? String(cString: FLAC__stream_encoder_get_resolved_state_string(encoder))
                : String(cString: takevault_flac_encoder_init_status(status))
            output.discard()
            throw CodecFailure.encoderSetup(codec: "FLAC", detail: detail)
        }
    }

    deinit {
        if let encoder {
            if !finished {
                FLAC__stream_encoder_finish(encoder)
                output.discard()
            }
            FLAC__stream_encoder_delete(encoder)
        }
        for block in metadataBlocks { FLAC__metadata_object_delete(block) }
    }

    /// Encodes the block's exact integer samples. The block must come from integer PCM of this
    /// encoder's channel count and bit depth.
    public func write(_ block: DecodedBlock) throws {
        precondition(block.channels == channels && block.integerBits == bitsPerSample, "block does not match the master's format")
        try write(block.integerChannels, frames: block.frames)
    }

    /// Encodes `frames` frames from planar, right-justified integer channels.
    public func write(_ channelPointers: UnsafeBufferPointer<UnsafePointer<Int32>?>, frames: Int) throws {
        guard frames > 0 else { return }
        guard let encoder, !finished else { throw CodecFailure.encoderFailed(codec: "FLAC", detail: "write after finish") }
        let ok = FLAC__stream_encoder_process(encoder, channelPointers.baseAddress, UInt32(frames))
        guard ok != 0 else { throw failure(encoder) }
        framesWritten += Int64(frames)
    }

    /// Flushes the last frames, rewrites STREAMINFO (MD5, totals), checks the verify result, and
    /// moves the file into place.
    public func finish() throws -> FLACMasterSummary {
        guard let encoder, !finished else { throw CodecFailure.encoderFailed(codec: "FLAC", detail: "finished twice") }
        finished = true
        guard FLAC__stream_encoder_finish(encoder) != 0 else {
            let error = failure(encoder)
            output.discard()
            throw error
        }
        var streamInfo = FLAC__StreamMetadata()
        guard FLAC__metadata_get_streaminfo(output.temporaryPath, &streamInfo) != 0 else {
            output.discard()
            throw CodecFailure.encoderFailed(codec: "FLAC", detail: "could not read back STREAMINFO")
        }
        let md5 = withUnsafeBytes(of: streamInfo.data.stream_info.md5sum) { bytes in
            bytes.hexString
        }
        let size = (try? FileBytes(path: output.temporaryPath).size) ?? 0
        try output.commit()
        return FLACMasterSummary(frames: framesWritten, bitsPerSample: bitsPerSample, md5: md5, bytes: size, settings: settings)
    }

    /// Stops without keeping anything.
    public func abandon() {
        guard let encoder, !finished else { return }
        finished = true
        FLAC__stream_encoder_finish(encoder)
        output.discard()
    }

    private func failure(_ encoder: UnsafeMutablePointer<FLAC__StreamEncoder>) -> CodecFailure {
        let state = FLAC__stream_encoder_get_state(encoder)
        if state == FLAC__STREAM_ENCODER_VERIFY_MISMATCH_IN_AUDIO_DATA {
            var sample: UInt64 = 0, frame: UInt32 = 0, channel: UInt32 = 0, offset: UInt32 = 0
            var expected: Int32 = 0, got: Int32 = 0
            FLAC__stream_encoder_get_verify_decoder_error_stats(encoder, &sample, &frame, &channel, &offset, &expected, &got)
            return .flacVerifyMismatch(detail: "sample \(sample), channel \(channel + 1): expected \(expected), decoded \(got)")
        }
        if state == FLAC__STREAM_ENCODER_IO_ERROR {
            return .io(operation: "write", path: output.temporaryPath, errno: errno)
        }
        return .encoderFailed(codec: "FLAC", detail: String(cString: FLAC__stream_encoder_get_resolved_state_string(encoder)))
    }

    private static func makeMetadata(
        sampleRate: Int, expectedFrames: Int64?, settings: FLACSettings, comments: [(name: String, value: String)]
    ) throws -> [UnsafeMutablePointer<FLAC__StreamMetadata>] {
        var blocks: [UnsafeMutablePointer<FLAC__StreamMetadata>] = []
        func cleanUpAndFail(_ detail: String) -> CodecFailure {
            for block in blocks { FLAC__metadata_object_delete(block) }
            return .encoderSetup(codec: "FLAC", detail: detail)
        }
        guard let vorbis = FLAC__metadata_object_new(FLAC__METADATA_TYPE_VORBIS_COMMENT) else { throw cleanUpAndFail("out of memory") }
        blocks.append(vorbis)
        for (name, value) in comments {
            var entry = FLAC__StreamMetadata_VorbisComment_Entry()
            guard FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(&entry, name, value) != 0,
                  FLAC__metadata_object_vorbiscomment_append_comment(vorbis, entry, 0) != 0
            else { throw cleanUpAndFail("metadata field \(name) refused") }
        }
        if let expectedFrames, expectedFrames > 0 {
            guard let seekTable = FLAC__metadata_object_new(FLAC__METADATA_TYPE_SEEKTABLE) else { throw cleanUpAndFail("out of memory") }
            blocks.append(seekTable)
            let spacing = UInt32(settings.seekPointSpacingSeconds * sampleRate)
            guard FLAC__metadata_object_seektable_template_append_spaced_points_by_samples(seekTable, spacing, UInt64(expectedFrames)) != 0,
                  FLAC__metadata_object_seektable_template_sort(seekTable, 1) != 0
            else { throw cleanUpAndFail("seek table refused") }
        }
        if settings.paddingBytes > 0 {
            guard let padding = FLAC__metadata_object_new(FLAC__METADATA_TYPE_PADDING) else { throw cleanUpAndFail("out of memory") }
            padding.pointee.length = UInt32(settings.paddingBytes)
            blocks.append(padding)
        }
        return blocks
    }
}
