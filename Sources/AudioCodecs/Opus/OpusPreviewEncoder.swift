import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AudioDSP
import COpusEnc

/// Writes the preview: Ogg Opus at 48 kHz through libopusenc, which handles pre-skip, granule
/// positions and end trimming, so the decoded preview has the input's length.
///
/// Mono and stereo are kept; more channels are folded to stereo with ``StereoDownmix`` (the rule is
/// documented there). The preview chain hands it 48 kHz (``PolyphaseResampler``), so libopusenc's
/// own resampler never runs in the product; other rates still work, resampled by libopusenc.
/// The file appears at its path only when ``finish()`` succeeds. Memory is one block of scratch.
/// Not thread-safe.
public final class OpusPreviewEncoder {
    public let settings: OpusPreviewSettings
    public let inputChannels: Int
    /// Channels in the stream: the input's when 1 or 2, otherwise 2.
    public let outputChannels: Int
    public let sampleRate: Int
    public private(set) var framesWritten: Int64 = 0

    private let output: AtomicOutput
    private let encoder: OpaquePointer
    private let comments: OpaquePointer
    private let downmix: StereoDownmix?
    private var interleaved = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private var downmixed = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private var downmixCapacity = 0
    private let stereoPointers = UnsafeMutableBufferPointer<UnsafePointer<Float>>.allocate(capacity: 2)
    private var finished = false

    /// Starts a preview at `path` for planar float input with `layout.count` channels at `sampleRate`.
    public init(
        path: String, sampleRate: Int, layout: [ChannelRole], metadata: EmbeddedMetadata = EmbeddedMetadata(),
        settings: OpusPreviewSettings = OpusPreviewSettings()
    ) throws {
        try settings.validate()
        self.settings = settings
        self.sampleRate = sampleRate
        inputChannels = layout.count
        outputChannels = min(layout.count, 2)
        downmix = layout.count > 2 ? StereoDownmix(layout: layout) : nil
        output = try AtomicOutput(finalPath: path)

        guard let comments = ope_comments_create() else {
            throw CodecFailure.encoderSetup(codec: "Opus", detail: "out of memory")
        }
        self.comments = comments
        var fields = VorbisCommentFields.fields(for: metadata)
        if let trackGain = settings.r128TrackGainDB {
            fields.append(("R128_TRACK_GAIN", String(OpusPreviewSettings.q78(trackGain))))
        }
        for (name, value) in fields where ope_comments_add(comments, name, value) != OPE_OK {
            ope_comments_destroy(comments)
            throw CodecFailure.encoderSetup(codec: "Opus", detail: "comment \(name) refused")
        }

        // Channel mapping family 0: mono or stereo, no surround mapping (the preview is ≤ 2 channels).
        var error: Int32 = 0
        guard let encoder = ope_encoder_create_file(output.temporaryPath, comments, Int32(sampleRate), Int32(outputChannels), 0, &error) else {
            ope_comments_destroy(comments)
            output.discard()
            if error == OPE_CANNOT_OPEN { throw CodecFailure.io(operation: "create", path: output.temporaryPath, errno: errno) }
            throw CodecFailure.encoderSetup(codec: "Opus", detail: String(cString: ope_strerror(error)))
        }
        self.encoder = encoder
        let controls: [(String, Int32)] = [
            ("bitrate", takevault_ope_set_bitrate(encoder, Int32(settings.bitrate))),
            ("vbr", takevault_ope_set_vbr(encoder, 1)),
            ("unconstrained vbr", takevault_ope_set_vbr_constraint(encoder, 0)),
            ("complexity", takevault_ope_set_complexity(encoder, Int32(settings.complexity))),
            ("music signal", takevault_ope_set_signal_music(encoder)),
            ("header gain", takevault_ope_set_header_gain(encoder, OpusPreviewSettings.q78(settings.headerGainDB))),
            ("serial number", settings.serialNumber.map { takevault_ope_set_serialno(encoder, $0) } ?? OPE_OK),
        ]
        if let refused = controls.first(where: { $0.1 != OPE_OK }) {
            ope_encoder_destroy(encoder)
            ope_comments_destroy(comments)
            output.discard()
            throw CodecFailure.encoderSetup(codec: "Opus", detail: "\(refused.0): \(String(cString: ope_strerror(refused.1)))")
        }
    }

    deinit {
        if !finished { output.discard() }
        ope_encoder_destroy(encoder)
        ope_comments_destroy(comments)
        interleaved.deallocate()
        downmixed.deallocate()
        stereoPointers.deallocate()
    }

    /// Encodes the block's float samples.
    public func write(_ block: DecodedBlock) throws {
        try write(block.floatChannels, frames: block.frames)
    }

    /// Encodes `frames` frames of planar float channels (full scale ±1), ``inputChannels`` of them.
    public func write(_ channelPointers: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int) throws {
        precondition(channelPointers.count == inputChannels, "input has \(channelPointers.count) channels, the encoder \(inputChannels)")
        guard frames > 0 else { return }
        guard !finished else { throw CodecFailure.encoderFailed(codec: "Opus", detail: "write after finish") }
        ensureScratch(frames: frames)
        if let downmix {
            let left = downmixed, right = downmixed + downmixCapacity
            downmix.process(channelPointers, into: (left, right), frames: frames)
            stereoPointers[0] = UnsafePointer(left)
            stereoPointers[1] = UnsafePointer(right)
            Interleave.floats(UnsafeBufferPointer(stereoPointers), into: interleaved, frames: frames)
        } else {
            Interleave.floats(channelPointers, into: interleaved, frames: frames)
        }
        let status = ope_encoder_write_float(encoder, interleaved.baseAddress, Int32(frames))
        guard status == OPE_OK else { throw encoderError(status, operation: "write") }
        framesWritten += Int64(frames)
    }

    /// Flushes the encoder (the last packet's granule position trims the padding), closes the file
    /// and moves it into place.
    public func finish() throws -> OpusPreviewSummary {
        guard !finished else { throw CodecFailure.encoderFailed(codec: "Opus", detail: "finished twice") }
        finished = true
        let status = ope_encoder_drain(encoder)
        guard status == OPE_OK else {
            output.discard()
            throw encoderError(status, operation: "finish")
        }
        let size = (try? FileBytes(path: output.temporaryPath).size) ?? 0
        try output.commit()
        return OpusPreviewSummary(
            inputFrames: framesWritten, inputSampleRate: sampleRate, channels: outputChannels,
            downmixed: downmix != nil, bytes: size, settings: settings)
    }

    /// Stops without keeping anything.
    public func abandon() {
        guard !finished else { return }
        finished = true
        output.discard()
    }

    private func encoderError(_ status: Int32, operation: String) -> CodecFailure {
        if status == OPE_WRITE_FAIL || status == OPE_CLOSE_FAIL {
            return .io(operation: operation, path: output.temporaryPath, errno: errno)
        }
        return .encoderFailed(codec: "Opus", detail: String(cString: ope_strerror(status)))
    }

    private func ensureScratch(frames: Int) {
        if interleaved.count < frames * outputChannels {
            interleaved.deallocate()
            interleaved = .allocate(capacity: frames * outputChannels)
        }
        if downmix != nil, downmixCapacity < frames {
            downmixed.deallocate()
            downmixed = .allocate(capacity: 2 * frames)
            downmixCapacity = frames
        }
    }
}
