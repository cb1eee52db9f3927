/// Quantises float samples to `bits`-bit integers with TPDF dither (±1 LSB triangular noise), so
/// that reducing word length leaves a constant, signal-independent noise floor instead of
/// truncation distortion.
///
/// Noise is the difference of two uniform values from a per-channel xorshift generator, eight
/// lanes at a time; output is right-justified and clamped to the integer range. Seeded, so the
/// same input gives the same output. ``process(_:frames:into:)`` allocates nothing.
public struct TPDFDither: Sendable {
    public let bits: Int
    private var states: [SIMD8<UInt32>]

    public init(bits: Int, channels: Int, seed: UInt32 = 0x9E37_79B9) {
        precondition((8...24).contains(bits), "8 to 24 bits")
        self.bits = bits
        states = (0..<channels).map { channel in
            SIMD8<UInt32>((0..<8).map { lane in seed &+ UInt32(channel * 8 + lane + 1) &* 0x85EB_CA6B | 1 })
        }
    }

    public mutating func process(
        _ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int,
        into output: UnsafeBufferPointer<UnsafeMutablePointer<Int32>>
    ) {
        let scale = Float(1 << (bits - 1))
        let maximum = Float((1 << (bits - 1)) - 1), minimum = -scale
        let unit: Float = 1.0 / 4_294_967_296.0
        for channel in 0..<input.count {
            var state = states[channel]
            let x = input[channel], y = output[channel]
            var n = 0
            while n < frames {
                let first = Self.next(&state), second = Self.next(&state)
                let noise = SIMD8<Float>(first) * unit - SIMD8<Float>(second) * unit
                let count = min(8, frames - n)
                for lane in 0..<count {
                    let value = (x[n + lane] * scale + noise[lane]).rounded()
                    y[n + lane] = Int32(max(minimum, min(maximum, value)))
                }
                n &+= 8
            }
            states[channel] = state
        }
    }

    /// xorshift32, eight independent lanes.
    @inline(__always)
    static func next(_ state: inout SIMD8<UInt32>) -> SIMD8<UInt32> {
        state ^= state &<< 13
        state ^= state &>> 17
        state ^= state &<< 5
        return state
    }
}
