import AudioDSP
import Foundation

/// A run of a 1 kHz sine (or silence) at given peak levels per channel, for conformance signals.
struct ToneSegment {
    var seconds: Double
    /// Peak level of each channel in dBFS; `nil` for silence.
    var levels: [Double?]

    static func stereo(_ seconds: Double, _ dBFS: Double?) -> ToneSegment { ToneSegment(seconds: seconds, levels: [dBFS, dBFS]) }
}

/// Streams tone segments through `consume` in blocks of `blockFrames`, generating on the fly.
/// The sine's phase runs continuously across segments. `afterBlock` sees the time after each block.
func streamTones(
    _ segments: [ToneSegment], sampleRate: Int, blockFrames: Int = 4_800, frequency: Double = 1_000,
    consume: (UnsafeBufferPointer<UnsafePointer<Float>>, Int) -> Void
) {
    let channels = segments[0].levels.count
    let buffers = PlanarBuffers<Float>(channels: channels, frames: blockFrames, fill: 0)
    // A sine at a whole frequency repeats every rate / gcd(rate, frequency) samples: build that
    // period once per level and copy it, so generating minutes of tone costs almost nothing.
    let period = sampleRate / greatestCommonDivisor(sampleRate, Int(frequency))
    let unitPeriod = (0..<period).map { sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate)) }
    var sampleIndex = 0
    for segment in segments {
        let frames = Int((segment.seconds * Double(sampleRate)).rounded())
        let tables: [[Float]] = segment.levels.map { level in
            let amplitude = level.map { pow(10, $0 / 20) } ?? 0
            let once = unitPeriod.map { Float(amplitude * $0) }
            return Array(repeating: once, count: blockFrames / period + 2).flatMap { $0 }
        }
        var done = 0
        while done < frames {
            let count = min(blockFrames, frames - done)
            let phase = sampleIndex % period
            for channel in 0..<channels {
                tables[channel].withUnsafeBufferPointer { table in
                    buffers.pointers[channel].update(from: table.baseAddress! + phase, count: count)
                }
            }
            buffers.readOnly.withUnsafeBufferPointer { consume($0, count) }
            done += count
            sampleIndex += count
        }
    }
}

func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int { b == 0 ? a : greatestCommonDivisor(b, a % b) }

/// Runs tone segments through a fresh meter and returns it.
func measure(_ segments: [ToneSegment], sampleRate: Int, layout: [ChannelRole]? = nil) -> LoudnessMeter {
    var meter = LoudnessMeter(sampleRate: sampleRate, layout: layout ?? ChannelRole.defaultLayout(channels: segments[0].levels.count))
    streamTones(segments, sampleRate: sampleRate) { meter.process($0, frames: $1) }
    return meter
}
