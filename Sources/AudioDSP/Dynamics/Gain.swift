/// Multiplies planar audio by a constant gain, SIMD, in place or into another buffer.
public enum Gain {
    public static func apply(_ gain: Float, to input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            let v = UnsafeRawPointer(input + index).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(output + index).storeBytes(of: v * gain, as: SIMD16<Float>.self)
            index &+= 16
        }
        while index < count {
            output[index] = input[index] * gain
            index &+= 1
        }
    }
}
