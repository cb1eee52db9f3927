/// Folds a multichannel layout to stereo for the preview.
///
/// The rule (ITU-R BS.775 style, the one most players use), by channel role:
/// - left-side roles (front left, left of centre, side left, back left, top left) go to L at 1.0
///   for the front pair and 0.7071 (−3 dB) for every other position; right-side roles mirror that;
/// - centre-line roles (centre, back centre, top centre, mono, unknown) go to both at 0.7071;
/// - LFE is dropped (a preview is not a bass-management decision).
/// No normalisation: the preview chain's loudness gain and true-peak ceiling come after, and it
/// works in float, so a downmix louder than full scale is not clipped here.
///
/// Built once per take (coefficients for the layout); ``process(_:into:frames:)`` allocates nothing.
public struct StereoDownmix: Sendable {
    /// Gain of each input channel into the left and right outputs, in input order.
    public let leftGains: [Float]
    public let rightGains: [Float]

    public init(layout: [ChannelRole]) {
        let side: Float = 0.707_106_77
        var left = [Float]()
        var right = [Float]()
        for role in layout {
            switch role {
            case .left: left.append(1); right.append(0)
            case .right: left.append(0); right.append(1)
            case .frontLeftOfCenter, .sideLeft, .backLeft, .topFrontLeft, .topBackLeft:
                left.append(side); right.append(0)
            case .frontRightOfCenter, .sideRight, .backRight, .topFrontRight, .topBackRight:
                left.append(0); right.append(side)
            case .center, .backCenter, .topCenter, .topFrontCenter, .topBackCenter, .mono, .unknown:
                left.append(side); right.append(side)
            case .lfe:
                left.append(0); right.append(0)
            }
        }
        leftGains = left
        rightGains = right
    }

    /// Mixes `frames` frames of the planar input channels into `left` and `right`.
    public func process(
        _ input: UnsafeBufferPointer<UnsafePointer<Float>>,
        into output: (left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>),
        frames: Int
    ) {
        precondition(input.count == leftGains.count, "layout and input disagree on channel count")
        output.left.update(repeating: 0, count: frames)
        output.right.update(repeating: 0, count: frames)
        for channel in 0..<input.count {
            let source = input[channel]
            let gainLeft = leftGains[channel]
            let gainRight = rightGains[channel]
            if gainLeft != 0 { accumulate(source, gain: gainLeft, into: output.left, frames: frames) }
            if gainRight != 0 { accumulate(source, gain: gainRight, into: output.right, frames: frames) }
        }
    }

    @inline(__always)
    private func accumulate(_ source: UnsafePointer<Float>, gain: Float, into destination: UnsafeMutablePointer<Float>, frames: Int) {
        let vectorFrames = frames & ~7
        var frame = 0
        while frame < vectorFrames {
            let input = UnsafeRawPointer(source + frame).loadUnaligned(as: SIMD8<Float>.self)
            let sum = UnsafeRawPointer(destination + frame).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(destination + frame).storeBytes(of: sum.addingProduct(input, gain), as: SIMD8<Float>.self)
            frame &+= 8
        }
        while frame < frames {
            destination[frame] = destination[frame].addingProduct(source[frame], gain)
            frame &+= 1
        }
    }
}
