import AudioDSP
import Testing
import TestSupport

/// The K-weighting design and the SIMD block filter against plain references.
@Suite("K-weighting filter")
struct KWeightingFilterTests {
    @Test("at 48 kHz the derived coefficients are BS.1770-4's table")
    func matchesTheStandardAt48k() {
        let shelf = KWeighting.shelf(sampleRate: 48_000)
        let highPass = KWeighting.highPass(sampleRate: 48_000)
        // ITU-R BS.1770-4, Tables 1 and 2.
        let expected: [(Double, Double)] = [
            (shelf.b0, 1.535_124_859_586_97), (shelf.b1, -2.691_696_189_406_38), (shelf.b2, 1.198_392_810_852_85),
            (shelf.a1, -1.690_659_293_182_41), (shelf.a2, 0.732_480_774_215_85),
            (highPass.a1, -1.990_047_454_833_98), (highPass.a2, 0.990_072_250_366_21),
        ]
        for (value, table) in expected { #expect(abs(value - table) < 1e-9, "\(value) vs \(table)") }
        #expect((highPass.b0, highPass.b1, highPass.b2) == (1, -2, 1))
    }

    @Test("every rate gets the same analogue response: +4 dB shelf, 38 Hz high-pass", arguments: [8_000, 22_050, 44_100, 48_000, 96_000, 192_000, 384_000])
    func sameResponseAtEveryRate(rate: Int) {
        let fs = Double(rate)
        let shelf = KWeighting.shelf(sampleRate: fs), highPass = KWeighting.highPass(sampleRate: fs)
        func decibels(_ f: Double) -> Double { 20 * log10(shelf.magnitude(at: f, sampleRate: fs) * highPass.magnitude(at: f, sampleRate: fs)) }
        let reference48k = { (f: Double) -> Double in
            20 * log10(KWeighting.shelf(sampleRate: 48_000).magnitude(at: f, sampleRate: 48_000) * KWeighting.highPass(sampleRate: 48_000).magnitude(at: f, sampleRate: 48_000))
        }
        // The bilinear transform is pre-warped at the section's own frequency; elsewhere it warps
        // towards Nyquist. Up to 3 kHz (or a quarter of the rate): within 0.05 dB of the 48 kHz
        // response at 44.1 kHz and above, 0.1 dB at 22.05 kHz, 0.5 dB at 8 kHz.
        let tolerance = rate >= 44_100 ? 0.05 : rate >= 22_050 ? 0.1 : 0.5
        for f in [20.0, 38, 100, 1_000, 2_000, 3_000] where f <= Double(rate) / 4 {
            #expect(abs(decibels(f) - reference48k(f)) < tolerance, "\(f) Hz at \(rate) Hz: \(decibels(f)) dB vs \(reference48k(f)) dB")
        }
    }

    /// Double-precision transposed direct form II, one sample at a time: the reference.
    static func referenceFilter(_ input: [Float], sections: [Biquad]) -> [Double] {
        var states = [Double](repeating: 0, count: 2 * sections.count)
        return input.map { sample in
            var x = Double(sample)
            for (index, section) in sections.enumerated() {
                let y = section.b0 * x + states[2 * index]
                states[2 * index] = section.b1 * x - section.a1 * y + states[2 * index + 1]
                states[2 * index + 1] = section.b2 * x - section.a2 * y
                x = y
            }
            return x
        }
    }

    @Test("the SIMD block filter equals the scalar reference within 1e-4, for odd lengths and unaligned starts",
          arguments: [44_100, 48_000, 192_000], [0, 1, 7, 8, 9, 1_001])
    func blockFilterMatchesReference(rate: Int, count: Int) {
        let sections = [KWeighting.shelf(sampleRate: Double(rate)), KWeighting.highPass(sampleRate: Double(rate))]
        let filter = BlockIIRFilter(sections: sections)
        var generator = SplitMix64(seed: UInt64(rate + count))
        // Three calls of different lengths, the second starting at an odd (unaligned) offset.
        let total = 3 * count + 5
        let input = (0..<total).map { _ in Float.random(in: -1...1, using: &generator) }
        let reference = Self.referenceFilter(input, sections: sections)
        var output = [Float](repeating: .nan, count: total)
        var state = SIMD4<Float>()
        var energy = 0.0
        var energyState = SIMD4<Float>()
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                var offset = 0
                for length in [count, count + 3, count + 2] {
                    filter.process(source.baseAddress! + offset, into: destination.baseAddress! + offset, count: length, state: &state)
                    energy += filter.sumOfSquares(source.baseAddress! + offset, count: length, state: &energyState)
                    offset += length
                }
            }
        }
        let worst = zip(output, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 1e-4, "largest difference \(worst)")
        let referenceEnergy = reference.reduce(0) { $0 + $1 * $1 }
        #expect(abs(energy - referenceEnergy) <= 1e-5 * max(referenceEnergy, 1))
    }
}

#if canImport(Glibc)
import Glibc
#endif
