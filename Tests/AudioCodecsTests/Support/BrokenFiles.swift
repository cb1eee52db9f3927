import TestSupport

/// Hand-made containers for bad-input tests: every field settable, so each test can tell one lie.
enum BrokenFiles {
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func be16(_ value: UInt16) -> [UInt8] { le16(value).reversed() }
    static func be32(_ value: UInt32) -> [UInt8] { le32(value).reversed() }

    /// A RIFF/WAVE file. `dataSize` and `riffSize` default to the truth.
    static func wav(
        channels: UInt16 = 2, sampleRate: UInt32 = 48_000, bits: UInt16 = 16, formatTag: UInt16 = 1,
        blockAlign: UInt16? = nil, audio: [UInt8], dataSize: UInt32? = nil, riffSize: UInt32? = nil,
        chunksBeforeData: [UInt8] = []
    ) -> [UInt8] {
        let align = blockAlign ?? channels * ((bits + 7) / 8)
        var fmt = le16(formatTag) + le16(channels) + le32(sampleRate)
        fmt += le32(sampleRate &* UInt32(align)) + le16(align) + le16(bits)
        var body = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(UInt32(fmt.count)) + fmt + chunksBeforeData
        body += Array("data".utf8) + le32(dataSize ?? UInt32(audio.count)) + audio
        return Array("RIFF".utf8) + le32(riffSize ?? UInt32(body.count)) + body
    }

    /// 16-bit PCM bytes of a quiet ramp, `frames × channels` samples.
    static func pcm16(frames: Int, channels: Int) -> [UInt8] {
        (0..<frames * channels).flatMap { le16(UInt16(bitPattern: Int16(truncatingIfNeeded: ($0 % 2000) - 1000))) }
    }

    /// An AIFF file with `declaredFrames` in COMM and `audio` in SSND (16-bit).
    static func aiff(channels: UInt16 = 1, declaredFrames: UInt32, audio: [UInt8], ssndSize: UInt32? = nil) -> [UInt8] {
        // 48 000 Hz as an 80-bit extended: exponent 16383 + 15, mantissa 48000 << 48.
        let rate: [UInt8] = [0x40, 0x0E, 0xBB, 0x80, 0, 0, 0, 0, 0, 0]
        let comm = be16(channels) + be32(declaredFrames) + be16(16) + rate
        var body = Array("AIFF".utf8) + Array("COMM".utf8) + be32(UInt32(comm.count)) + comm
        body += Array("SSND".utf8) + be32(ssndSize ?? UInt32(audio.count + 8)) + be32(0) + be32(0) + audio
        return Array("FORM".utf8) + be32(UInt32(body.count)) + body
    }
}
