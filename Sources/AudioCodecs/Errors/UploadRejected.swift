import TakevaultCore

/// Why an upload cannot be taken. Every case is the file's fault, so retrying the same bytes gives
/// the same answer; the upload is kept (or quarantined) with this reason, never dropped.
public enum UploadRejected: ReasonCoded, Equatable, Sendable {
    /// The file has no bytes at all.
    case emptyFile
    /// Not a container libsndfile (and takevault) reads; `detail` says what it looked like.
    case unsupportedFormat(detail: String)
    /// A known container with an encoding libsndfile cannot decode.
    case unsupportedEncoding(detail: String)
    /// The container's header is damaged so that decoding cannot start.
    case malformedHeader(detail: String)
    /// The file ends before the audio its header declares: the upload is incomplete.
    case truncatedData(expectedFrames: Int64, presentFrames: Int64)
    /// The header's sizes contradict the file in a way truncation does not explain (an unfinalised
    /// recording, a chunk that claims more than the file holds, AIFF frame counts that disagree).
    case headerLengthMismatch(detail: String)
    /// The file decodes to no audio frames.
    case noAudioFrames
    /// Channel count outside ``SupportedRange/channels``.
    case channelCountOutOfRange(Int)
    /// Sample rate outside ``SupportedRange/sampleRates``.
    case sampleRateOutOfRange(Int)
    /// A float sample is NaN or infinite.
    case nonFiniteSamples(frame: Int64, channel: Int)
    /// Decoding stopped with an error inside the audio data.
    case corruptData(detail: String)
    /// A lossless FLAC master needs integer PCM; this upload is float or lossy.
    case masterNeedsIntegerPCM(sampleKind: String)

    public var code: String {
        switch self {
        case .emptyFile: "empty_file"
        case .unsupportedFormat: "unsupported_format"
        case .unsupportedEncoding: "unsupported_encoding"
        case .malformedHeader: "malformed_header"
        case .truncatedData: "truncated_data"
        case .headerLengthMismatch: "header_length_mismatch"
        case .noAudioFrames: "no_audio_frames"
        case .channelCountOutOfRange: "channel_count_out_of_range"
        case .sampleRateOutOfRange: "sample_rate_out_of_range"
        case .nonFiniteSamples: "non_finite_samples"
        case .corruptData: "corrupt_data"
        case .masterNeedsIntegerPCM: "master_needs_integer_pcm"
        }
    }

    public var message: String {
        switch self {
        case .emptyFile:
            "The file is empty (0 bytes). Export the take again and re-send it."
        case .unsupportedFormat(let detail):
            "Not an audio format takevault reads (\(detail)). Export as WAV, AIFF or FLAC."
        case .unsupportedEncoding(let detail):
            "The container is known but its encoding is not supported (\(detail)). Export as PCM WAV or FLAC."
        case .malformedHeader(let detail):
            "The file's header is damaged (\(detail)). Export the take again."
        case .truncatedData(let expected, let present):
            "The upload is incomplete: its header declares \(expected) frames but the file holds \(present). Re-send the complete file."
        case .headerLengthMismatch(let detail):
            "The header's lengths do not match the file (\(detail)). The writer may not have finalised it; re-export the take."
        case .noAudioFrames:
            "The file holds no audio frames."
        case .channelCountOutOfRange(let channels):
            "\(channels) channels is outside the supported \(SupportedRange.channels.lowerBound)–\(SupportedRange.channels.upperBound). Export stems with at most \(SupportedRange.channels.upperBound) channels."
        case .sampleRateOutOfRange(let rate):
            "A sample rate of \(rate) Hz is outside the supported \(SupportedRange.sampleRates.lowerBound)–\(SupportedRange.sampleRates.upperBound) Hz."
        case .nonFiniteSamples(let frame, let channel):
            "Sample \(frame) of channel \(channel + 1) is NaN or infinite; the float export is corrupt. Bounce the take again."
        case .corruptData(let detail):
            "The audio data is corrupt (\(detail))."
        case .masterNeedsIntegerPCM(let kind):
            "A FLAC master holds integer PCM only; this upload is \(kind). Its original file is the lossless master."
        }
    }

    public var category: ErrorCategory { .rejectedInput }
}

/// The formats takevault accepts, stated once.
public enum SupportedRange {
    /// 1 (mono) to 8 (7.1) channels: FLAC's limit, and more than any single take needs.
    public static let channels: ClosedRange<Int> = 1...8
    /// 8 kHz (telephone-band voice memos) to 384 kHz (the highest rate DAWs record at).
    public static let sampleRates: ClosedRange<Int> = 8_000...384_000
}
