/// The benchmark buffer: 5 minutes of 48 kHz stereo programme-like audio (chords, noise, level
/// changes), synthesised deterministically so every run measures the same samples.
struct BenchmarkBuffer: Sendable {
    let rate: Int
    let frames: Int
    let left: [Float]
    let right: [Float]
    let interleaved: [Float]

    init(seconds: Int = 300, rate: Int = 48_000) {
        self.rate = rate
        frames = seconds * rate
        var left = [Float](repeating: 0, count: frames), right = [Float](repeating: 0, count: frames)
        var state: UInt32 = 0x1234_5678
        var phase = (0.0, 0.0, 0.0)
        let steps = (2 * Double.pi * 196 / Double(rate), 2 * Double.pi * 247 / Double(rate), 2 * Double.pi * 294 / Double(rate))
        for n in 0..<frames {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let noise = Float(Int32(bitPattern: state)) / 2_147_483_648
            let section = Float(0.3 + 0.7 * (0.5 + 0.5 * sin(2 * Double.pi * Double(n) / Double(rate * 7))))
            phase.0 += steps.0; phase.1 += steps.1; phase.2 += steps.2
            let chord = Float(sin(phase.0) + sin(phase.1) + sin(phase.2)) / 3
            left[n] = section * (0.4 * chord + 0.05 * noise)
            right[n] = section * (0.35 * chord - 0.05 * noise)
        }
        var interleaved = [Float](repeating: 0, count: 2 * frames)
        for n in 0..<frames {
            interleaved[2 * n] = left[n]
            interleaved[2 * n + 1] = right[n]
        }
        self.left = left
        self.right = right
        self.interleaved = interleaved
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
