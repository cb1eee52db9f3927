/// The benchmark programme: 5 minutes of 48 kHz stereo programme-like audio (chords, noise, level
/// changes), synthesised deterministically so every run measures the same samples.
///
/// The samples live in a ring of `ringBlocks` blocks (64 × 4096 frames, 5.5 s: 2 MiB per layout)
/// that the workloads cycle through until 5 minutes have gone by. In the pipeline a kernel reads
/// each block while it is hot from the decoder; a 5-minute buffer (115 MB per layout) instead
/// streams from the shared last-level cache or memory, and on a shared machine that made the
/// memory-bound kernels' figures follow the neighbours' traffic (loudness alone measured
/// 8.4–12.2× from one run to the next) rather than the code.
struct BenchmarkBuffer: Sendable {
    static let block = 4_096
    static let ringBlocks = 64

    let rate: Int
    /// Frames a workload processes in all (the programme's length).
    let frames: Int
    /// The ring's planar channels and its interleaved copy, `ringBlocks × block` frames each.
    let left: [Float]
    let right: [Float]
    let interleaved: [Float]

    init(seconds: Int = 300, rate: Int = 48_000) {
        self.rate = rate
        frames = seconds * rate
        let ringFrames = Self.ringBlocks * Self.block
        var left = [Float](repeating: 0, count: ringFrames), right = [Float](repeating: 0, count: ringFrames)
        var state: UInt32 = 0x1234_5678
        var phase = (0.0, 0.0, 0.0)
        let steps = (2 * Double.pi * 196 / Double(rate), 2 * Double.pi * 247 / Double(rate), 2 * Double.pi * 294 / Double(rate))
        for n in 0..<ringFrames {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let noise = Float(Int32(bitPattern: state)) / 2_147_483_648
            // One level swell per ring, so the loop has no step in level where it wraps.
            let section = Float(0.3 + 0.7 * (0.5 + 0.5 * sin(2 * Double.pi * Double(n) / Double(ringFrames))))
            phase.0 += steps.0; phase.1 += steps.1; phase.2 += steps.2
            let chord = Float(sin(phase.0) + sin(phase.1) + sin(phase.2)) / 3
            left[n] = section * (0.4 * chord + 0.05 * noise)
            right[n] = section * (0.35 * chord - 0.05 * noise)
        }
        var interleaved = [Float](repeating: 0, count: 2 * ringFrames)
        for n in 0..<ringFrames {
            interleaved[2 * n] = left[n]
            interleaved[2 * n + 1] = right[n]
        }
        self.left = left
        self.right = right
        self.interleaved = interleaved
    }

    /// Calls `body` with the ring offset and frame count of each block of the programme in order.
    func forEachBlock(_ body: (_ ringOffset: Int, _ count: Int) -> Void) {
        var offset = 0, index = 0
        while offset < frames {
            let count = min(Self.block, frames - offset)
            body((index % Self.ringBlocks) * Self.block, count)
            offset += count
            index += 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
