import Foundation
import TestSupport

/// Programme-like test material, synthesised: what a loudness meter meets in real takes.
enum Programme: String, CaseIterable, Sendable {
    /// Filtered-noise bursts of random length and level, with silences between.
    case noiseBursts = "noise bursts"
    /// Logarithmic sine sweeps, 20 Hz to 20 kHz, at changing levels.
    case sweeps
    /// Chords of sines stepping between levels, like sections of a song.
    case levelSteps = "level steps"

    /// `seconds` of planar audio for `channels` channels at `rate`.
    func render(seconds: Double, rate: Int, channels: Int, seed: UInt64) -> [[Float]] {
        var generator = SplitMix64(seed: seed)
        let count = Int(seconds * Double(rate))
        var output = [[Float]](repeating: [Float](repeating: 0, count: count), count: channels)
        var position = 0
        var phase = 0.0
        while position < count {
            let length = min(count - position, Int(Double.random(in: 0.3...4, using: &generator) * Double(rate)))
            let level = pow(10, Double.random(in: -45 ... -8, using: &generator) / 20)
            let silent = self == .noiseBursts && Double.random(in: 0..<1, using: &generator) < 0.25
            let channelGains = (0..<channels).map { _ in Float(level * Double.random(in: 0.5...1, using: &generator)) }
            switch self {
            case .noiseBursts:
                var low = [Float](repeating: 0, count: channels)
                for n in position..<position + length where !silent {
                    for c in 0..<channels {
                        let white = Float.random(in: -1...1, using: &generator)
                        low[c] += 0.3 * (white - low[c])   // gentle low-pass: more like programme than white
                        output[c][n] = channelGains[c] * 1.6 * low[c]
                    }
                }
            case .sweeps:
                let start = 20.0, end = 20_000.0
                for n in position..<position + length {
                    let t = Double(n - position) / Double(length)
                    phase += 2 * Double.pi * start * pow(end / start, t) / Double(rate)
                    let value = Float(sin(phase))
                    for c in 0..<channels { output[c][n] = channelGains[c] * value }
                }
            case .levelSteps:
                let root = Double.random(in: 80...400, using: &generator)
                let ratios = [1.0, 1.25, 1.5, 2.0]
                for n in position..<position + length {
                    let t = Double(n) / Double(rate)
                    var value = 0.0
                    for (i, ratio) in ratios.enumerated() { value += sin(2 * Double.pi * root * ratio * t + Double(i)) / 4 }
                    for c in 0..<channels { output[c][n] = channelGains[c] * Float(value) }
                }
            }
            position += length
        }
        return output
    }
}
