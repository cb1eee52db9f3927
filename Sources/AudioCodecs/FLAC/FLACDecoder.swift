#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFLAC
import TakevaultCore

/// Decodes a FLAC file with libFLAC, frame by frame, into planar integer samples, checking the
/// stream's MD5 against STREAMINFO at the end.
///
/// This is how a master is proven: libsndfile also reads FLAC, but only libFLAC's own decoder
/// covers every bit depth libFLAC writes (up to 32) and checks the MD5. Memory is one FLAC frame
/// (at most the stream's maximum block size per channel). Not thread-safe.
public final class FLACDecoder {
    public let sampleRate: Int
    public let channels: Int
    public let bitsPerSample: Int
    /// Frames STREAMINFO declares (0 when the writer did not know).
    public let totalFrames: Int64
    /// STREAMINFO's MD5 of the audio, lower-case hex (all zeros when the writer did not compute it).
    public let md5: String
    /// Frames delivered so far.
    public private(set) var framesDecoded: Int64 = 0

    private let path: String
    private let state: DecoderState
    private let decoder: UnsafeMutablePointer<FLAC__StreamDecoder>
    private var finished = false

    /// Opens `path` and reads its metadata.
    public init(path: String) throws {
        self.path = path
        guard let decoder = FLAC__stream_decoder_new() else {
            throw CodecFailure.encoderSetup(codec: "FLAC decoder", detail: "out of memory")
        }
        self.decoder = decoder
        state = DecoderState()
        FLAC__stream_decoder_set_md5_checking(decoder, 1)
        let context = Unmanaged.passUnretained(state).toOpaque()
        let status = FLAC__stream_decoder_init_file(decoder, path, flacWriteCallback, flacMetadataCallback, flacErrorCallback, context)
        guard status == FLAC__STREAM_DECODER_INIT_STATUS_OK else {
            FLAC__stream_decoder_delete(decoder)
            if status == FLAC__STREAM_DECODER_INIT_STATUS_ERROR_OPENING_FILE {
                throw CodecFailure.io(operation: "open", path: path, errno: errno)
            }
            throw CodecFailure.flacStreamError(path: path, detail: String(cString: takevault_flac_decoder_init_status(status)))
        }
        guard FLAC__stream_decoder_process_until_end_of_metadata(decoder) != 0, let info = state.streamInfo else {
            let detail = state.streamError ?? "no STREAMINFO"
            FLAC__stream_decoder_finish(decoder)
            FLAC__stream_decoder_delete(decoder)
            throw CodecFailure.flacStreamError(path: path, detail: detail)
        }
        sampleRate = Int(info.sample_rate)
        channels = Int(info.channels)
        bitsPerSample = Int(info.bits_per_sample)
        totalFrames = Int64(info.total_samples)
        md5 = withUnsafeBytes(of: info.md5sum) { bytes in
            bytes.hexString
        }
        state.prepare(channels: channels, maximumBlockSize: Int(info.max_blocksize))
    }

    deinit {
        if !finished { FLAC__stream_decoder_finish(decoder) }
        FLAC__stream_decoder_delete(decoder)
    }

    /// Decodes the next FLAC frame and returns its length in frames; 0 at the end of the stream,
    /// after the MD5 check passed. The samples are in ``channel(_:)`` until the next call.
    ///
    /// - Throws: ``CodecFailure/flacStreamError(path:detail:)`` for a damaged stream,
    ///   ``CodecFailure/flacMD5Mismatch(path:)`` when the audio does not match its MD5.
    public func nextFrame() throws -> Int {
        guard !finished else { return 0 }
        state.frames = 0
        while state.frames == 0 {
            let ok = FLAC__stream_decoder_process_single(decoder) != 0
            if let error = state.streamError { throw CodecFailure.flacStreamError(path: path, detail: error) }
            guard ok else {
                throw CodecFailure.flacStreamError(path: path, detail: String(cString: FLAC__stream_decoder_get_resolved_state_string(decoder)))
            }
            if FLAC__stream_decoder_get_state(decoder) == FLAC__STREAM_DECODER_END_OF_STREAM {
                try finish()
                return 0
            }
        }
        framesDecoded += Int64(state.frames)
        return state.frames
    }

    /// The samples of `channel` from the last ``nextFrame()`` (right-justified, ``bitsPerSample`` wide).
    public func channel(_ channel: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: state.storage + channel * state.capacity, count: state.frames)
    }

    private func finish() throws {
        finished = true
        let md5Matches = FLAC__stream_decoder_finish(decoder) != 0
        if let error = state.streamError { throw CodecFailure.flacStreamError(path: path, detail: error) }
        guard md5Matches else { throw CodecFailure.flacMD5Mismatch(path: path) }
        if totalFrames > 0, framesDecoded != totalFrames {
            throw CodecFailure.flacStreamError(path: path, detail: "STREAMINFO declares \(totalFrames) frames, the stream holds \(framesDecoded)")
        }
    }
}

/// What the C callbacks write into; reached through the decoder's client-data pointer.
private final class DecoderState {
    var streamInfo: FLAC__StreamMetadata_StreamInfo?
    var streamError: String?
    var storage = UnsafeMutablePointer<Int32>.allocate(capacity: 0)
    var capacity = 0
    var channels = 0
    var frames = 0

    func prepare(channels: Int, maximumBlockSize: Int) {
        storage.deallocate()
        self.channels = channels
        capacity = max(maximumBlockSize, 1)
        storage = .allocate(capacity: channels * capacity)
    }

    deinit { storage.deallocate() }
}

private let flacWriteCallback: FLAC__StreamDecoderWriteCallback = { _, frame, buffer, context in
    let state = Unmanaged<DecoderState>.fromOpaque(context!).takeUnretainedValue()
    guard let frame, let buffer else { return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT }
    let blockSize = Int(frame.pointee.header.blocksize)
    guard blockSize <= state.capacity, Int(frame.pointee.header.channels) == state.channels else {
        state.streamError = "frame of \(blockSize) samples × \(frame.pointee.header.channels) channels exceeds STREAMINFO"
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT
    }
    for channel in 0..<state.channels {
        (state.storage + channel * state.capacity).update(from: buffer[channel]!, count: blockSize)
    }
    state.frames = blockSize
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE
}

private let flacMetadataCallback: FLAC__StreamDecoderMetadataCallback = { _, metadata, context in
    let state = Unmanaged<DecoderState>.fromOpaque(context!).takeUnretainedValue()
    guard let metadata, metadata.pointee.type == FLAC__METADATA_TYPE_STREAMINFO else { return }
    state.streamInfo = metadata.pointee.data.stream_info
}

private let flacErrorCallback: FLAC__StreamDecoderErrorCallback = { _, status, context in
    let state = Unmanaged<DecoderState>.fromOpaque(context!).takeUnretainedValue()
    if state.streamError == nil {
        state.streamError = String(cString: takevault_flac_decoder_error_status(status))
    }
}
