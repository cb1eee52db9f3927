/// BS.1770-4 channel weights by position: 1.0 for front channels, 1.41 (+1.5 dB) for the
/// surrounds (side and back, the ±110° positions of the standard), 0 for LFE, which is excluded.
/// Positions the standard does not list (height, wide fronts, back centre) count as front channels.
public enum ChannelWeighting {
    public static func weight(for role: ChannelRole) -> Double {
        switch role {
        case .lfe: 0
        case .sideLeft, .sideRight, .backLeft, .backRight: 1.41
        default: 1
        }
    }
}

/// Energy ⇄ loudness, the BS.1770 formula: L = −0.691 + 10 log₁₀(Σ Gᵢ zᵢ).
public enum LoudnessScale {
    public static func loudness(energy: Double) -> Double { -0.691 + 10 * log10(energy) }
    public static func energy(loudness: Double) -> Double { pow(10, (loudness + 0.691) / 10) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
