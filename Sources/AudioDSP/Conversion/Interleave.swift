/// Planar → interleaved `Float` conversion, the inverse of ``Deinterleave/floats(_:into:frames:)``.
///
/// Encoders that take interleaved input (libopusenc) get their frames through this. The caller owns
/// both sides; nothing is allocated.
public enum Interleave {
    /// Writes `frames` frames of the planar channels into `interleaved` (`frames × planar.count`).
    public static func floats(
        _ planar: UnsafeBufferPointer<UnsafePointer<Float>>,
        into interleaved: UnsafeMutableBufferPointer<Float>,
        frames: Int
    ) {
        let channels = planar.count
        precondition(interleaved.count >= frames * channels, "interleaved buffer too short")
        guard frames > 0, let destination = interleaved.baseAddress else { return }
        switch channels {
        case 1:
            destination.update(from: planar[0], count: frames)
        case 2:
            let left = planar[0]
            let right = planar[1]
            let vectorFrames = frames & ~7
            let raw = UnsafeMutableRawPointer(destination)
            var frame = 0
            while frame < vectorFrames {
                var pair = SIMD16<Float>()
                pair.evenHalf = UnsafeRawPointer(left + frame).loadUnaligned(as: SIMD8<Float>.self)
                pair.oddHalf = UnsafeRawPointer(right + frame).loadUnaligned(as: SIMD8<Float>.self)
                raw.storeBytes(of: pair, toByteOffset: frame &* 8, as: SIMD16<Float>.self)
                frame &+= 8
            }
            while frame < frames {
                destination[2 &* frame] = left[frame]
                destination[2 &* frame &+ 1] = right[frame]
                frame &+= 1
            }
        default:
            for channel in 0..<channels {
                let source = planar[channel]
                var index = channel
                for frame in 0..<frames {
                    destination[index] = source[frame]
                    index &+= channels
                }
            }
        }
    }
}
