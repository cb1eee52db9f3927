/// Interleaved ⇄ planar sample conversions.
///
/// Decoders hand over interleaved frames (`L R L R …`); every DSP stage in takevault works on
/// planar channels. These kernels convert between the two without allocating: the caller owns every
/// buffer and guarantees that each holds at least `frames` samples per channel (interleaved:
/// `frames × channels`). Mono and stereo — nearly every take — run SIMD paths; wider layouts use a
/// strided loop, which is memory-bound anyway.
public enum Deinterleave {
    /// Splits interleaved `Float` frames into planar channel buffers.
    ///
    /// - Parameters:
    ///   - interleaved: `frames × planar.count` samples, frame-major.
    ///   - planar: one destination per channel, each with room for `frames` samples.
    ///   - frames: the number of frames to convert.
    public static func floats(
        _ interleaved: UnsafeBufferPointer<Float>,
        into planar: UnsafeBufferPointer<UnsafeMutablePointer<Float>>,
        frames: Int
    ) {
        let channels = planar.count
        precondition(interleaved.count >= frames * channels, "interleaved buffer too short")
        guard frames > 0, let source = interleaved.baseAddress else { return }
        switch channels {
        case 1:
            planar[0].update(from: source, count: frames)
        case 2:
            splitStereo(source, left: planar[0], right: planar[1], frames: frames)
        default:
            for channel in 0..<channels {
                let destination = planar[channel]
                var index = channel
                for frame in 0..<frames {
                    destination[frame] = source[index]
                    index &+= channels
                }
            }
        }
    }

    /// Splits interleaved 32-bit integer frames into planar integers shifted right by `shift` bits
    /// (exact samples at the file's own bit depth) and planar floats scaled by 2⁻³¹ (full scale ±1).
    ///
    /// libsndfile delivers integer PCM left-justified in 32 bits; `shift = 32 − bitsPerSample` undoes
    /// that exactly (arithmetic shift, the low bits are zero). The float view is `Float(x) × 2⁻³¹`
    /// of the left-justified value: exact for depths up to 24 bits, rounded to 24 significant bits
    /// for 32-bit PCM. One pass feeds both the lossless master and the analysers.
    public static func integers(
        _ interleaved: UnsafeBufferPointer<Int32>,
        shift: Int32,
        integersInto planarIntegers: UnsafeBufferPointer<UnsafeMutablePointer<Int32>>,
        floatsInto planarFloats: UnsafeBufferPointer<UnsafeMutablePointer<Float>>,
        frames: Int
    ) {
        let channels = planarIntegers.count
        precondition(planarFloats.count == channels, "channel count mismatch")
        precondition(interleaved.count >= frames * channels, "interleaved buffer too short")
        precondition((0...31).contains(shift), "shift out of range")
        guard frames > 0, let source = interleaved.baseAddress else { return }
        let scale: Float = 1.0 / 2_147_483_648.0
        switch channels {
        case 1:
            convertMono(source, integers: planarIntegers[0], floats: planarFloats[0], shift: shift, scale: scale, frames: frames)
        case 2:
            convertStereo(
                source, integers: (planarIntegers[0], planarIntegers[1]), floats: (planarFloats[0], planarFloats[1]),
                shift: shift, scale: scale, frames: frames)
        default:
            for channel in 0..<channels {
                let integers = planarIntegers[channel]
                let floats = planarFloats[channel]
                var index = channel
                for frame in 0..<frames {
                    let value = source[index]
                    integers[frame] = value &>> shift
                    floats[frame] = Float(value) * scale
                    index &+= channels
                }
            }
        }
    }

    @inline(__always)
    private static func splitStereo(
        _ source: UnsafePointer<Float>, left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, frames: Int
    ) {
        let vectorFrames = frames & ~7
        let raw = UnsafeRawPointer(source)
        var frame = 0
        while frame < vectorFrames {
            let pair = raw.loadUnaligned(fromByteOffset: frame &* 8, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(left + frame).storeBytes(of: pair.evenHalf, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(right + frame).storeBytes(of: pair.oddHalf, as: SIMD8<Float>.self)
            frame &+= 8
        }
        while frame < frames {
            left[frame] = source[2 &* frame]
            right[frame] = source[2 &* frame &+ 1]
            frame &+= 1
        }
    }

    @inline(__always)
    private static func convertMono(
        _ source: UnsafePointer<Int32>, integers: UnsafeMutablePointer<Int32>, floats: UnsafeMutablePointer<Float>,
        shift: Int32, scale: Float, frames: Int
    ) {
        let vectorFrames = frames & ~7
        let raw = UnsafeRawPointer(source)
        let shiftVector = SIMD8<Int32>(repeating: shift)
        var frame = 0
        while frame < vectorFrames {
            let samples = raw.loadUnaligned(fromByteOffset: frame &* 4, as: SIMD8<Int32>.self)
            UnsafeMutableRawPointer(integers + frame).storeBytes(of: samples &>> shiftVector, as: SIMD8<Int32>.self)
            UnsafeMutableRawPointer(floats + frame).storeBytes(of: SIMD8<Float>(samples) * scale, as: SIMD8<Float>.self)
            frame &+= 8
        }
        while frame < frames {
            integers[frame] = source[frame] &>> shift
            floats[frame] = Float(source[frame]) * scale
            frame &+= 1
        }
    }

    @inline(__always)
    private static func convertStereo(
        _ source: UnsafePointer<Int32>,
        integers: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>),
        floats: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>),
        shift: Int32, scale: Float, frames: Int
    ) {
        let vectorFrames = frames & ~7
        let raw = UnsafeRawPointer(source)
        let shiftVector = SIMD8<Int32>(repeating: shift)
        var frame = 0
        while frame < vectorFrames {
            let pair = raw.loadUnaligned(fromByteOffset: frame &* 8, as: SIMD16<Int32>.self)
            let left = pair.evenHalf
            let right = pair.oddHalf
            UnsafeMutableRawPointer(integers.0 + frame).storeBytes(of: left &>> shiftVector, as: SIMD8<Int32>.self)
            UnsafeMutableRawPointer(integers.1 + frame).storeBytes(of: right &>> shiftVector, as: SIMD8<Int32>.self)
            UnsafeMutableRawPointer(floats.0 + frame).storeBytes(of: SIMD8<Float>(left) * scale, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(floats.1 + frame).storeBytes(of: SIMD8<Float>(right) * scale, as: SIMD8<Float>.self)
            frame &+= 8
        }
        while frame < frames {
            let left = source[2 &* frame]
            let right = source[2 &* frame &+ 1]
            integers.0[frame] = left &>> shift
            integers.1[frame] = right &>> shift
            floats.0[frame] = Float(left) * scale
            floats.1[frame] = Float(right) * scale
            frame &+= 1
        }
    }
}
