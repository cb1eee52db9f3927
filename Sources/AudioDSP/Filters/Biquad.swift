/// A second-order IIR section, normalised so that a0 = 1:
/// `y[n] = b0 x[n] + b1 x[n−1] + b2 x[n−2] − a1 y[n−1] − a2 y[n−2]`.
public struct Biquad: Sendable, Equatable {
    public var b0, b1, b2, a1, a2: Double

    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.a1 = a1
        self.a2 = a2
    }

    /// Magnitude response at `frequency` Hz for a filter running at `sampleRate`.
    public func magnitude(at frequency: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        // H(e^jw) = (b0 + b1 e^-jw + b2 e^-2jw) / (1 + a1 e^-jw + a2 e^-2jw)
        let (c1, s1, c2, s2) = (cos(w), -sin(w), cos(2 * w), -sin(2 * w))
        let numeratorRe = b0 + b1 * c1 + b2 * c2, numeratorIm = b1 * s1 + b2 * s2
        let denominatorRe = 1 + a1 * c1 + a2 * c2, denominatorIm = a1 * s1 + a2 * s2
        return ((numeratorRe * numeratorRe + numeratorIm * numeratorIm) / (denominatorRe * denominatorRe + denominatorIm * denominatorIm)).squareRoot()
    }
}

/// The two sections of the BS.1770 K-weighting filter, derived for any sample rate from their
/// analogue prototypes by the bilinear transform with the cut-off pre-warped.
///
/// Stage 1 (head effects) is a second-order high shelf: +4.0 dB above its 1682 Hz centre, Q 0.7072.
/// Stage 2 (RLB weighting) is a second-order high-pass at 38.1 Hz, Q 0.5003. These analogue
/// parameters reproduce the 48 kHz coefficients tabulated in ITU-R BS.1770-4 to 10⁻⁹ (a test checks
/// it), so every other rate gets the same analogue response rather than a resampled table.
public enum KWeighting {
    /// Shelf centre frequency (Hz), gain (dB), quality factor, and the exponent placing the shelf's
    /// midpoint gain, as fitted to the BS.1770 48 kHz table.
    static let shelfFrequency = 1_681.974_450_955_533
    static let shelfGainDB = 3.999_843_853_973_347
    static let shelfQ = 0.707_175_236_955_419_6
    static let shelfMidpointExponent = 0.499_666_774_154_541_6
    /// High-pass cut-off (Hz) and quality factor.
    static let highPassFrequency = 38.135_470_876_024_44
    static let highPassQ = 0.500_327_037_323_877_3

    /// The high shelf at `sampleRate`.
    public static func shelf(sampleRate: Double) -> Biquad {
        let k = tan(Double.pi * shelfFrequency / sampleRate)
        let highGain = pow(10, shelfGainDB / 20)
        let bandGain = pow(highGain, shelfMidpointExponent)
        let norm = 1 + k / shelfQ + k * k
        return Biquad(
            b0: (highGain + bandGain * k / shelfQ + k * k) / norm,
            b1: 2 * (k * k - highGain) / norm,
            b2: (highGain - bandGain * k / shelfQ + k * k) / norm,
            a1: 2 * (k * k - 1) / norm,
            a2: (1 - k / shelfQ + k * k) / norm)
    }

    /// The RLB high-pass at `sampleRate`. Its numerator is (1, −2, 1) unscaled, as in BS.1770: the
    /// passband gain is then slightly above 1, and the −0.691 dB in the loudness formula accounts
    /// for the whole filter's gain at 1 kHz.
    public static func highPass(sampleRate: Double) -> Biquad {
        let k = tan(Double.pi * highPassFrequency / sampleRate)
        let norm = 1 + k / highPassQ + k * k
        return Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k * k - 1) / norm, a2: (1 - k / highPassQ + k * k) / norm)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
