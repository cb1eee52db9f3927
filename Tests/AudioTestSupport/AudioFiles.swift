import AudioCodecs
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Audio files for tests: synthesised WAVs and exact decoding, shared by the pipeline and CLI tests.

/// Decodes a file's exact integer samples (integer PCM) with takevault's reader.
public func integerSamples(_ path: String) throws -> [[Int32]] {
    let reader = try AudioFileReader(path: path)
    let block = reader.makeBlock(capacity: 4_096)
    var channels = [[Int32]](repeating: [], count: reader.info.channels)
    while try reader.read(into: block) > 0 {
        for channel in 0..<block.channels { channels[channel] += block.integerChannel(channel) }
    }
    return channels
}

/// Decodes a FLAC file with libFLAC (MD5 checked).
public func flacSamples(_ path: String) throws -> [[Int32]] {
    let decoder = try FLACDecoder(path: path)
    var channels = [[Int32]](repeating: [], count: decoder.channels)
    while try decoder.nextFrame() > 0 {
        for channel in 0..<decoder.channels { channels[channel] += decoder.channel(channel) }
    }
    return channels
}

/// Writes planar integer PCM with libsndfile's WAV writer via `sox`-free means: a plain WAV.
public func writeWAV(_ path: String, channels: [[Int32]], bits: Int, rate: Int = 48_000) {
    let frames = channels[0].count
    let bytesPerSample = bits / 8
    var data = [UInt8]()
    data.reserveCapacity(frames * channels.count * bytesPerSample)
    for frame in 0..<frames {
        for channel in channels {
            let value = channel[frame]
            for byte in 0..<bytesPerSample { data.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
        }
    }
    writeBytes(path, pcmWAVHeader(channels: channels.count, bits: bits, rate: rate, dataBytes: data.count) + data)
}

/// Writes `frames` of digital silence as integer PCM WAV, without building samples first (for long
/// or wide files).
public func writeSilentWAV(_ path: String, channels: Int, frames: Int, bits: Int, rate: Int) {
    let bytes = frames * channels * bits / 8
    writeBytes(path, pcmWAVHeader(channels: channels, bits: bits, rate: rate, dataBytes: bytes) + [UInt8](repeating: 0, count: bytes))
}

/// A canonical 44-byte PCM WAV header.
func pcmWAVHeader(channels: Int, bits: Int, rate: Int, dataBytes: Int) -> [UInt8] {
    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let align = channels * bits / 8
    let fmt = le16(1) + le16(channels) + le32(rate) + le32(rate * align) + le16(align) + le16(bits)
    return Array("RIFF".utf8) + le32(4 + 8 + 16 + 8 + dataBytes) + Array("WAVEfmt ".utf8) + le32(16) + fmt + Array("data".utf8) + le32(dataBytes)
}

/// Writes planar float samples as a 32-bit float WAV.
public func writeFloatWAV(_ path: String, channels: [[Float]], rate: Int = 48_000) {
    let frames = channels[0].count
    var data = [UInt8]()
    for frame in 0..<frames { for channel in channels { withUnsafeBytes(of: channel[frame].bitPattern.littleEndian) { data += $0 } } }
    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let align = channels.count * 4
    let fmt = le16(3) + le16(channels.count) + le32(rate) + le32(rate * align) + le16(align) + le16(32)
    let body = Array("WAVEfmt ".utf8) + le32(16) + fmt + Array("data".utf8) + le32(data.count) + data
    writeBytes(path, Array("RIFF".utf8) + le32(body.count) + body)
}

/// A test tone with noise, `bits`-bit, right-justified.
public func toneChannels(_ count: Int, frames: Int, bits: Int, seed: UInt64 = 1) -> [[Int32]] {
    var generator = SplitMix64(seed: seed)
    let maximum = Double((1 << (bits - 1)) - 1)
    return (0..<count).map { channel in
        (0..<frames).map { n in
            let tone = 0.3 * sin(2 * Double.pi * Double(220 * (channel + 1)) * Double(n) / 48_000)
            let noise = Double(Int64(bitPattern: generator.next() >> 1) % 1_000) / 1_000 * 0.01
            return Int32((tone + noise) * maximum)
        }
    }
}

