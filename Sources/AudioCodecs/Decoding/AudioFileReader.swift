import AudioDSP
import CSndFile

/// Streams an upload's audio in blocks, through libsndfile.
///
/// Reads every format libsndfile does (WAV in all its PCM/float/EXTENSIBLE/BWF forms, RF64, W64,
/// AIFF/AIFC, CAF, FLAC, Ogg Vorbis, Ogg Opus, MP3 …). Integer PCM is read as integers, so the
/// master gets exact samples and the float view is derived from them (never the other way round).
/// Memory is one interleaved scratch buffer and the caller's ``DecodedBlock``; nothing depends on
/// the take's length. Checks as it goes: non-finite float samples, decode errors, and a stream that
/// ends before the frames its header declared. Not thread-safe; the file is closed on deinit.
public final class AudioFileReader {
    /// The upload's header facts (as ``AudioProbe/probe(path:)`` reports them).
    public let info: AudioFileInfo
    /// Frames delivered so far.
    public private(set) var framesDecoded: Int64 = 0

    private let file: SoundFile
    private var interleavedFloats: UnsafeMutableBufferPointer<Float>
    private var interleavedIntegers: UnsafeMutableBufferPointer<Int32>
    private var finished = false

    /// Opens `path` for decoding. Throws ``UploadRejected`` or ``CodecFailure`` as probing does.
    public init(path: String) throws {
        file = try SoundFile(path: path)
        info = file.info
        interleavedFloats = .allocate(capacity: 0)
        interleavedIntegers = .allocate(capacity: 0)
    }

    deinit {
        interleavedFloats.deallocate()
        interleavedIntegers.deallocate()
    }

    /// Exact integer samples are delivered for integer PCM uploads; their bit depth.
    public var integerBits: Int? { info.sampleKind == .integer ? info.bitsPerSample : nil }

    /// A block shaped for this file. Make one per take and reuse it for every ``read(into:)``.
    public func makeBlock(capacity: Int = 4_096) -> DecodedBlock {
        DecodedBlock(channels: info.channels, capacity: capacity, integerBits: integerBits)
    }

    /// Decodes the next frames into `block` (up to its capacity) and returns how many; 0 at the end.
    ///
    /// - Throws: ``UploadRejected/nonFiniteSamples(frame:channel:)``,
    ///   ``UploadRejected/corruptData(detail:)`` and, at the end,
    ///   ``UploadRejected/truncatedData(expectedFrames:presentFrames:)`` when fewer frames decoded
    ///   than the header declared.
    public func read(into block: DecodedBlock) throws -> Int {
        precondition(block.channels == info.channels, "block made for another file")
        guard !finished else { block.frames = 0; return 0 }
        let wanted = block.capacity
        let got: Int
        if let bits = integerBits {
            ensureScratch(integers: wanted * info.channels)
            got = Int(sf_readf_int(file.handle, interleavedIntegers.baseAddress, sf_count_t(wanted)))
            Deinterleave.integers(
                UnsafeBufferPointer(interleavedIntegers), shift: Int32(32 - bits),
                integersInto: UnsafeBufferPointer(block.integerPointers), floatsInto: UnsafeBufferPointer(block.floatPointers),
                frames: got)
        } else {
            ensureScratch(floats: wanted * info.channels)
            got = Int(sf_readf_float(file.handle, interleavedFloats.baseAddress, sf_count_t(wanted)))
            Deinterleave.floats(UnsafeBufferPointer(interleavedFloats), into: UnsafeBufferPointer(block.floatPointers), frames: got)
        }
        block.frames = got
        if got > 0, info.sampleKind != .integer {
            for channel in 0..<info.channels {
                if let index = NonFiniteScan.firstIndex(in: block.floatChannel(channel)) {
                    throw UploadRejected.nonFiniteSamples(frame: framesDecoded + Int64(index), channel: channel)
                }
            }
        }
        framesDecoded += Int64(got)
        if got < wanted { try finish() }
        return got
    }

    private func finish() throws {
        finished = true
        let status = sf_error(file.handle)
        if status != 0 {
            // libsndfile stops at the first error it cannot recover from. For streams without a
            // chunk size to compare (FLAC, Ogg) a cut file and a damaged one look alike from here:
            // both say where decoding stopped.
            let stoppedEarly = info.framesAreExact && framesDecoded < info.frames
                ? "; decoding stopped after \(framesDecoded) of \(info.frames) frames: the file is damaged or cut short" : ""
            throw UploadRejected.corruptData(detail: String(cString: sf_strerror(file.handle)) + stoppedEarly)
        }
        if info.framesAreExact, framesDecoded < info.frames {
            throw UploadRejected.truncatedData(expectedFrames: info.frames, presentFrames: framesDecoded)
        }
    }

    private func ensureScratch(floats count: Int) {
        guard interleavedFloats.count < count else { return }
        interleavedFloats.deallocate()
        interleavedFloats = .allocate(capacity: count)
    }

    private func ensureScratch(integers count: Int) {
        guard interleavedIntegers.count < count else { return }
        interleavedIntegers.deallocate()
        interleavedIntegers = .allocate(capacity: count)
    }
}
