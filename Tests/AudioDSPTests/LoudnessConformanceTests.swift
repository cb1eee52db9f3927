import AudioDSP
import Testing
import TestSupport

/// EBU Tech 3341 and 3342 conformance, synthesised (see the cases in the EBU documents), at the
/// four rates a session uses. Tolerances are the standards': ±0.1 LU for M, S and I; ±1 LU for LRA.
@Suite("Loudness conformance (EBU Tech 3341 / 3342)")
struct LoudnessConformanceTests {
    static let rates = [44_100, 48_000, 96_000, 192_000]

    @Test("3341 case 1: stereo −23 dBFS, 20 s → M, S, I = −23.0", arguments: rates)
    func case1(rate: Int) throws {
        let meter = measure([.stereo(20, -23)], sampleRate: rate)
        let result = meter.result()
        #expect(abs(try #require(result.integratedLUFS) + 23) <= 0.1)
        #expect(abs(try #require(meter.momentaryLUFS) + 23) <= 0.1)
        #expect(abs(try #require(meter.shortTermLUFS) + 23) <= 0.1)
    }

    @Test("3341 case 2: stereo −33 dBFS, 20 s → M, S, I = −33.0", arguments: rates)
    func case2(rate: Int) throws {
        let meter = measure([.stereo(20, -33)], sampleRate: rate)
        #expect(abs(try #require(meter.result().integratedLUFS) + 33) <= 0.1)
        #expect(abs(try #require(meter.momentaryLUFS) + 33) <= 0.1)
        #expect(abs(try #require(meter.shortTermLUFS) + 33) <= 0.1)
    }

    @Test("3341 case 3: −36 / −23 / −36 dBFS → I = −23.0 (relative gate)", arguments: rates)
    func case3(rate: Int) throws {
        let meter = measure([.stereo(10, -36), .stereo(60, -23), .stereo(10, -36)], sampleRate: rate)
        #expect(abs(try #require(meter.result().integratedLUFS) + 23) <= 0.1)
    }

    @Test("3341 case 4: −72 / −36 / −23 / −36 / −72 dBFS → I = −23.0 (absolute gate)", arguments: rates)
    func case4(rate: Int) throws {
        let meter = measure([.stereo(10, -72), .stereo(10, -36), .stereo(60, -23), .stereo(10, -36), .stereo(10, -72)], sampleRate: rate)
        #expect(abs(try #require(meter.result().integratedLUFS) + 23) <= 0.1)
    }

    @Test("3341 case 5: −26 / −20 (20.1 s) / −26 dBFS → I = −23.0", arguments: rates)
    func case5(rate: Int) throws {
        let meter = measure([.stereo(20, -26), .stereo(20.1, -20), .stereo(20, -26)], sampleRate: rate)
        #expect(abs(try #require(meter.result().integratedLUFS) + 23) <= 0.1)
    }

    @Test("3341 case 6: 5.0 channels (L R −28, C −24, Ls Rs −30 dBFS) → I = −23.0", arguments: rates)
    func case6(rate: Int) throws {
        let segment = ToneSegment(seconds: 20, levels: [-28, -28, -24, -30, -30])
        let meter = measure([segment], sampleRate: rate, layout: [.left, .right, .center, .sideLeft, .sideRight])
        #expect(abs(try #require(meter.result().integratedLUFS) + 23) <= 0.1)
    }

    @Test("5.1 with the LFE channel: the LFE is excluded", arguments: [48_000])
    func lfeExcluded(rate: Int) throws {
        let segment = ToneSegment(seconds: 20, levels: [-28, -28, -24, 0, -30, -30])
        let meter = measure([segment], sampleRate: rate, layout: ChannelRole.defaultLayout(channels: 6))
        #expect(abs(try #require(meter.result().integratedLUFS) + 23) <= 0.1)
    }

    @Test("3341 case 9: (1.34 s −20, 1.66 s −30 dBFS) × 5 → S = −23.0, constant after 3 s", arguments: rates)
    func case9(rate: Int) {
        var meter = LoudnessMeter(sampleRate: rate, layout: [.left, .right])
        var elapsed = 0
        var readings: [Double] = []
        let pattern = [ToneSegment.stereo(1.34, -20), .stereo(1.66, -30)]
        streamTones(Array(repeating: pattern, count: 5).flatMap { $0 }, sampleRate: rate, blockFrames: meter.subBlockFrames) {
            meter.process($0, frames: $1)
            elapsed += $1
            if elapsed >= 3 * rate, let shortTerm = meter.shortTermLUFS { readings.append(shortTerm) }
        }
        #expect(readings.count > 100)
        #expect(readings.allSatisfy { abs($0 + 23) <= 0.1 }, "short-term ranged \(readings.min()!)…\(readings.max()!)")
    }

    @Test("3341 case 12: (0.18 s −20, 0.22 s −30 dBFS) × 25 → M = −23.0, constant after 1 s", arguments: rates)
    func case12(rate: Int) {
        var meter = LoudnessMeter(sampleRate: rate, layout: [.left, .right])
        var elapsed = 0
        var readings: [Double] = []
        let pattern = [ToneSegment.stereo(0.18, -20), .stereo(0.22, -30)]
        // Read M every 20 ms: the 400 ms window must hold −23.0 wherever it lands once updated.
        streamTones(Array(repeating: pattern, count: 25).flatMap { $0 }, sampleRate: rate, blockFrames: meter.subBlockFrames) {
            meter.process($0, frames: $1)
            elapsed += $1
            if elapsed >= rate, let momentary = meter.momentaryLUFS { readings.append(momentary) }
        }
        #expect(readings.count > 80)
        #expect(readings.allSatisfy { abs($0 + 23) <= 0.1 }, "momentary ranged \(readings.min()!)…\(readings.max()!)")
    }

    static let rangeCases: [RangeCase] = [
        RangeCase(levels: [-20, -30], expected: 10), RangeCase(levels: [-20, -15], expected: 5),
        RangeCase(levels: [-40, -20], expected: 20), RangeCase(levels: [-50, -35, -20, -35, -50], expected: 15),
    ]

    struct RangeCase: Sendable, CustomStringConvertible {
        var levels: [Double]
        var expected: Double
        var description: String { "\(levels) dBFS → \(expected) LU" }
    }

    @Test("3342 loudness range cases 1–4", arguments: rates, rangeCases)
    func loudnessRange(rate: Int, rangeCase: RangeCase) {
        let (levels, expected) = (rangeCase.levels, rangeCase.expected)
        let meter = measure(levels.map { ToneSegment.stereo(20, $0) }, sampleRate: rate)
        let range = meter.result().loudnessRangeLU
        #expect(abs(range - expected) <= 1, "LRA \(range) LU, expected \(expected)")
    }

    @Test("silence and takes shorter than a window have no loudness")
    func silenceHasNoLoudness() {
        let silent = measure([.stereo(5, nil)], sampleRate: 48_000).result()
        #expect(silent.integratedLUFS == nil)
        #expect(silent.loudnessRangeLU == 0)
        let short = measure([.stereo(0.3, -20)], sampleRate: 48_000).result()
        #expect(short.integratedLUFS == nil)
        #expect(short.momentaryMaxLUFS == nil)
    }
}
