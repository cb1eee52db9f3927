/// The ITU-R BS.1770-4 Annex 2 interpolation filter: 4× oversampling, 48 taps as four phases of 12.
///
/// Only phases 0 and 1 are written out; phases 2 and 3 are built as their reversals, which is the
/// filter's symmetry (a linear-phase 48-tap FIR split into four phases), so it holds by construction.
/// The Annex's ±12.04 dB stages exist for fixed-point headroom and are omitted in floating point.
/// Measured error on sines from 20 Hz to 0.45·fs (any phase): −0.004 … +0.22 dB; the overshoot is
/// the filter's passband ripple (`TruePeakTests.errorBoundOnSines`).
public enum TruePeakFilter {
    public static let oversampling = 4
    public static let tapsPerPhase = 12

    static let phase0: [Float] = [
        0.001_708_984_375_0, 0.010_986_328_125_0, -0.019_653_320_312_5, 0.033_203_125_000_0,
        -0.059_448_242_187_5, 0.137_329_101_562_5, 0.972_167_968_750_0, -0.102_294_921_875_0,
        0.047_607_421_875_0, -0.026_611_328_125_0, 0.014_892_578_125_0, -0.008_300_781_250_0,
    ]
    static let phase1: [Float] = [
        -0.029_174_804_687_5, 0.029_296_875_000_0, -0.051_757_812_500_0, 0.089_111_328_125_0,
        -0.166_503_906_250_0, 0.465_087_890_625_0, 0.779_785_156_250_0, -0.200_317_382_812_5,
        0.101_562_500_000_0, -0.058_227_539_062_5, 0.033_081_054_687_5, -0.018_920_898_437_5,
    ]

    /// The four phases, each 12 taps: `phases[p][k]` weighs the input `k` samples back for output
    /// phase `p`.
    public static let phases: [[Float]] = [phase0, phase1, phase1.reversed(), phase0.reversed()]
}
