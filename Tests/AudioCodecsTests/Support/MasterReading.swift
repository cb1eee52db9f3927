import TestSupport
import AudioCodecs

/// Decodes a FLAC file with libFLAC (MD5 checked) into planar channels.
func decodeFLAC(_ path: String) throws -> (decoder: FLACDecoder, channels: [[Int32]]) {
    let decoder = try FLACDecoder(path: path)
    var channels = [[Int32]](repeating: [], count: decoder.channels)
    while try decoder.nextFrame() > 0 {
        for channel in 0..<decoder.channels { channels[channel] += decoder.channel(channel) }
    }
    return (decoder, channels)
}

/// Decodes any file with takevault's reader into planar float channels.
func decodeFloats(_ path: String) throws -> [[Float]] {
    let reader = try AudioFileReader(path: path)
    let block = reader.makeBlock(capacity: 1_000)
    var channels = [[Float]](repeating: [], count: reader.info.channels)
    while try reader.read(into: block) > 0 {
        for channel in 0..<block.channels { channels[channel] += block.floatChannel(channel) }
    }
    return channels
}

/// Where two sets of planar channels first differ, described briefly; `nil` when they are equal.
/// (Comparing whole arrays in `#expect` would print every sample on failure.)
func firstDifference<Sample: Equatable>(_ actual: [[Sample]], _ expected: [[Sample]]) -> String? {
    guard actual.count == expected.count else { return "\(actual.count) channels, expected \(expected.count)" }
    for channel in actual.indices {
        guard actual[channel].count == expected[channel].count else {
            return "channel \(channel): \(actual[channel].count) frames, expected \(expected[channel].count)"
        }
        if let frame = actual[channel].indices.first(where: { actual[channel][$0] != expected[channel][$0] }) {
            return "channel \(channel), frame \(frame): \(actual[channel][frame]), expected \(expected[channel][frame])"
        }
    }
    return nil
}
