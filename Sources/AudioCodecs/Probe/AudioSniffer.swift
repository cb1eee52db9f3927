/// Recognises an upload's container from its first bytes, so a body that is not audio is refused
/// (415) before it fills the spool, and reads the duration a header declares, so an overlong take
/// is refused (413) as soon as its header arrives.
///
/// Recognised: WAV (RIFF/RIFX), RF64 and BW64, Sony Wave64, AIFF/AIFC, FLAC, Ogg (Vorbis, Opus,
/// FLAC), CAF, Sun/NeXT `.au`, MP3 (ID3 tag or an MPEG audio frame). These are the containers
/// libsndfile reads; whether the audio inside decodes is the pipeline's question.
///
/// The bytes are the network's: every offset is bounded by the buffer and every size is compared
/// before it is added (fuzzed by `scripts/fuzz.sh`, target `audio-sniffer`).
public enum AudioSniffer {
    /// Bytes needed before ``format(of:)`` can answer.
    public static let magicBytes = 12
    /// Bytes read before giving up on finding a declared duration.
    public static let headerWindow = 64 * 1024

    public enum Format: String, Sendable {
        case wav, rf64, wave64, aiff, flac, ogg, caf, au, mp3
    }

    /// The container, or `nil` if the bytes are no audio takevault reads. Needs ``magicBytes`` bytes
    /// (fewer only when the whole body is shorter, in which case it is not audio).
    public static func format(of bytes: [UInt8]) -> Format? {
        guard bytes.count >= magicBytes else { return nil }
        func ascii(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            return bytes.count >= offset + expected.count && Array(bytes[offset..<offset + expected.count]) == expected
        }
        if (ascii(0, "RIFF") || ascii(0, "RIFX")) && ascii(8, "WAVE") { return .wav }
        if (ascii(0, "RF64") || ascii(0, "BW64")) && ascii(8, "WAVE") { return .rf64 }
        if ascii(0, "riff") && bytes[4] == 0x2e && bytes[5] == 0x91 && bytes[6] == 0xcf && bytes[7] == 0x11 { return .wave64 }
        if ascii(0, "FORM") && (ascii(8, "AIFF") || ascii(8, "AIFC")) { return .aiff }
        if ascii(0, "fLaC") { return .flac }
        if ascii(0, "OggS") { return .ogg }
        if ascii(0, "caff") { return .caf }
        if ascii(0, ".snd") { return .au }
        if ascii(0, "ID3") { return .mp3 }
        // An MPEG-1/2 layer III frame header: 11 sync bits, a valid version, layer III, a bitrate
        // index that is neither "free" nor "bad", a sample-rate index that is not reserved.
        if bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0 && bytes[1] & 0x18 != 0x08 && bytes[1] & 0x06 == 0x02
            && bytes[2] & 0xf0 != 0xf0 && bytes[2] & 0xf0 != 0 && bytes[2] & 0x0c != 0x0c {
            return .mp3
        }
        return nil
    }

    /// The duration (seconds) the header declares, when the format has one and the bytes hold it:
    /// WAV's `fmt ` and `data` chunk sizes, AIFF's `COMM`, FLAC's STREAMINFO.
    public static func declaredDuration(of bytes: [UInt8], format: Format) -> Double? {
        switch format {
        case .wav: wavDuration(bytes)
        case .aiff: aiffDuration(bytes)
        case .flac: flacDuration(bytes)
        default: nil
        }
    }

    private static func little32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    private static func big32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func wavDuration(_ bytes: [UInt8]) -> Double? {
        // "RIFF" only: RIFX is big-endian, RF64 keeps its sizes in ds64 (neither is read here).
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46] else { return nil }
        var offset = 12
        var byteRate: UInt32?
        while offset <= bytes.count - 8 {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = little32(bytes, offset + 4)
            if id == "fmt " && offset + 8 + 12 <= bytes.count {
                byteRate = little32(bytes, offset + 8 + 8)
            } else if id == "data" {
                guard let byteRate, byteRate > 0, size != 0xffff_ffff else { return nil }
                return Double(size) / Double(byteRate)
            }
            offset += 8 + Int(size) + Int(size & 1)
        }
        return nil
    }

    private static func aiffDuration(_ bytes: [UInt8]) -> Double? {
        var offset = 12
        while offset <= bytes.count - 8 {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = big32(bytes, offset + 4)
            if id == "COMM" {
                guard offset + 8 + 18 <= bytes.count else { return nil }
                let frames = big32(bytes, offset + 8 + 2)
                guard let rate = extended80(Array(bytes[(offset + 8 + 8)..<(offset + 8 + 18)])), rate > 0, rate.isFinite else { return nil }
                return Double(frames) / rate
            }
            offset += 8 + Int(size) + Int(size & 1)
        }
        return nil
    }

    /// IEEE 754 80-bit extended (AIFF's sample rate) as a Double (infinite or zero when out of
    /// Double's range; the caller refuses both).
    private static func extended80(_ bytes: [UInt8]) -> Double? {
        let exponent = Int(UInt16(bytes[0] & 0x7f) << 8 | UInt16(bytes[1])) - 16383
        var mantissa: UInt64 = 0
        for byte in bytes[2..<10] { mantissa = mantissa << 8 | UInt64(byte) }
        guard mantissa != 0 else { return 0 }
        return Double(sign: bytes[0] & 0x80 != 0 ? .minus : .plus, exponent: exponent - 63, significand: Double(mantissa))
    }

    private static func flacDuration(_ bytes: [UInt8]) -> Double? {
        // "fLaC", then the STREAMINFO block header (4 bytes) and its 34 bytes.
        guard bytes.count >= 8 + 18, bytes[4] & 0x7f == 0 else { return nil }
        let info = 8
        let rate = UInt32(bytes[info + 10]) << 12 | UInt32(bytes[info + 11]) << 4 | UInt32(bytes[info + 12]) >> 4
        let frames = UInt64(bytes[info + 13] & 0x0f) << 32 | UInt64(big32(bytes, info + 14))
        guard rate > 0, frames > 0 else { return nil }
        return Double(frames) / Double(rate)
    }
}
