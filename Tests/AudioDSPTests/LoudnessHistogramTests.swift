import AudioDSP
import Testing
import TestSupport

/// The histogram's stated bounds, measured against an exact list of blocks.
@Suite("Loudness histogram")
struct LoudnessHistogramTests {
    /// Exact BS.1770 gating over a list of block energies.
    static func exactGatedMean(_ energies: [Double], relativeGate: Double) -> Double? {
        let absolute = energies.filter { LoudnessScale.loudness(energy: $0) > -70 }
        guard !absolute.isEmpty else { return nil }
        let threshold = LoudnessScale.loudness(energy: absolute.reduce(0, +) / Double(absolute.count)) + relativeGate
        let gated = absolute.filter { LoudnessScale.loudness(energy: $0) > threshold }
        return gated.isEmpty ? nil : LoudnessScale.loudness(energy: gated.reduce(0, +) / Double(gated.count))
    }

    static func exactPercentiles(_ energies: [Double], relativeGate: Double, _ percentiles: [Double]) -> [Double] {
        let absolute = energies.filter { LoudnessScale.loudness(energy: $0) > -70 }
        let threshold = LoudnessScale.loudness(energy: absolute.reduce(0, +) / Double(absolute.count)) + relativeGate
        let gated = absolute.map(LoudnessScale.loudness).filter { $0 > threshold }.sorted()
        return percentiles.map { gated[Int((Double(gated.count - 1) * $0).rounded())] }
    }

    @Test("integrated within 0.01 LU and percentiles within 0.02 LU of exact, on random programmes", arguments: 0..<20)
    func boundsHold(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        // Programme-like: level steps between −60 and −5 LUFS with ±6 LU of block-to-block variation,
        // plus stretches of near-silence that the absolute gate removes.
        var energies: [Double] = []
        while energies.count < 20_000 {
            let level = Double.random(in: -60 ... -5, using: &generator)
            for _ in 0..<Int.random(in: 10...400, using: &generator) {
                let loudness = Double.random(in: 0..<1, using: &generator) < 0.05 ? -90 : level + Double.random(in: -6...6, using: &generator)
                energies.append(LoudnessScale.energy(loudness: loudness))
            }
        }
        var histogram = LoudnessHistogram()
        for energy in energies { histogram.add(energy: energy) }
        let integrated = try #require(histogram.gatedMeanLoudness(relativeGate: -10))
        let exact = try #require(Self.exactGatedMean(energies, relativeGate: -10))
        #expect(abs(integrated - exact) <= 0.01, "integrated \(integrated) vs exact \(exact)")
        let percentiles = try #require(histogram.gatedPercentiles(relativeGate: -20, [0.10, 0.95]))
        let exactPercentiles = Self.exactPercentiles(energies, relativeGate: -20, [0.10, 0.95])
        for (value, reference) in zip(percentiles, exactPercentiles) {
            #expect(abs(value - reference) <= 0.02, "percentile \(value) vs exact \(reference)")
        }
    }

    @Test("nothing above the absolute gate gives no value")
    func empty() {
        var histogram = LoudnessHistogram()
        histogram.add(energy: LoudnessScale.energy(loudness: -75))
        #expect(histogram.gatedMeanLoudness(relativeGate: -10) == nil)
        #expect(histogram.blockCount == 0)
    }
}
