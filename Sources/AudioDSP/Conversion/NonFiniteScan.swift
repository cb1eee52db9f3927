/// Finds NaN and ±∞ samples.
///
/// A float upload may carry non-finite samples (a crashed plug-in, a corrupt bounce). Every later
/// stage — loudness, limiter, encoders — would turn one of them into garbage for the whole take, so
/// the decoder rejects such a file at the first one. SIMD over 16 lanes: `x − x` is 0 for every
/// finite `x` and NaN for NaN and ±∞, which never compares equal to 0.
public enum NonFiniteScan {
    /// The index of the first non-finite sample in `samples`, or `nil` when all are finite.
    public static func firstIndex(in samples: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = samples.baseAddress else { return nil }
        let count = samples.count
        let vectorCount = count & ~15
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index < vectorCount {
            let lanes = raw.loadUnaligned(fromByteOffset: index &* 4, as: SIMD16<Float>.self)
            if any((lanes - lanes) .!= 0) {
                return (index..<index + 16).first { !base[$0].isFinite }
            }
            index &+= 16
        }
        while index < count {
            if !base[index].isFinite { return index }
            index &+= 1
        }
        return nil
    }
}
