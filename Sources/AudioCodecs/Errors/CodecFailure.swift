import TakevaultCore
/// A failure that is not the upload's fault: files that cannot be written, a codec library that
/// refuses its settings, or an integrity check on our own output that did not hold.
public enum CodecFailure: ReasonCoded, Equatable, Sendable {
    /// A file could not be opened, written, synced or renamed.
    case io(operation: String, path: String, errno: Int32)
    /// The encoder rejected its configuration or failed to start.
    case encoderSetup(codec: String, detail: String)
    /// The encoder failed while encoding.
    case encoderFailed(codec: String, detail: String)
    /// libFLAC's verify decoder disagreed with the input: the encoder produced a wrong stream.
    case flacVerifyMismatch(detail: String)
    /// A decoded FLAC stream's MD5 does not match its STREAMINFO.
    case flacMD5Mismatch(path: String)
    /// A FLAC stream could not be decoded (lost sync, CRC error, bad frame header).
    case flacStreamError(path: String, detail: String)
    /// An Ogg Opus stream could not be read back (damaged page, missing page, a packet libopus
    /// refuses, no end-of-stream page).
    case opusStreamError(path: String, detail: String)
    /// A settings value is out of its range.
    case invalidSetting(name: String, value: String, allowed: String)

    public var code: String {
        switch self {
        case .io: "io_error"
        case .encoderSetup: "encoder_setup_failed"
        case .encoderFailed: "encoder_failed"
        case .flacVerifyMismatch: "flac_verify_mismatch"
        case .flacMD5Mismatch: "flac_md5_mismatch"
        case .flacStreamError: "flac_stream_error"
        case .opusStreamError: "opus_stream_error"
        case .invalidSetting: "invalid_setting"
        }
    }

    public var message: String {
        switch self {
        case .io(let operation, let path, let errno):
            "Could not \(operation) \(path): \(String(cString: strerror(errno)))."
        case .encoderSetup(let codec, let detail):
            "The \(codec) encoder could not start: \(detail)."
        case .encoderFailed(let codec, let detail):
            "The \(codec) encoder failed: \(detail)."
        case .flacVerifyMismatch(let detail):
            "libFLAC's verify pass found the encoded stream differs from the input (\(detail)); nothing was kept."
        case .flacMD5Mismatch(let path):
            "\(path): the decoded audio does not match the MD5 in its STREAMINFO."
        case .flacStreamError(let path, let detail):
            "\(path): the FLAC stream is damaged (\(detail))."
        case .opusStreamError(let path, let detail):
            "\(path): the Ogg Opus stream is damaged (\(detail))."
        case .invalidSetting(let name, let value, let allowed):
            "\(name) = \(value) is not allowed (\(allowed))."
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .flacVerifyMismatch, .flacMD5Mismatch, .flacStreamError, .opusStreamError: .integrity
        case .invalidSetting: .usage
        default: .failure
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
