import AudioDSP
import CEbur128
import Testing

/// Agreement with libebur128 (the reference C meter) on programme-like material.
/// Integrated within 0.05 LU; loudness range within 0.2 LU when sampled once a second as
/// libebur128 does (see ``LoudnessMeter`` on the 10 Hz rate Tech 3342 asks for).
@Suite("Agreement with libebur128")
struct LibEbur128AgreementTests {
    struct Reading { var integrated: Double; var range: Double }

    static func reference(_ planar: [[Float]], rate: Int) -> Reading {
        let channels = planar.count
        var state: UnsafeMutablePointer<ebur128_state>? = ebur128_init(UInt32(channels), UInt(rate), Int32(EBUR128_MODE_I.rawValue | EBUR128_MODE_LRA.rawValue))
        defer { ebur128_destroy(&state) }
        if channels == 6 {
            let map: [channel] = [EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND]
            for (index, value) in map.enumerated() { ebur128_set_channel(state, UInt32(index), Int32(value.rawValue)) }
        }
        let frames = planar[0].count
        var interleaved = [Float](repeating: 0, count: frames * channels)
        for c in 0..<channels { for n in 0..<frames { interleaved[n * channels + c] = planar[c][n] } }
        _ = ebur128_add_frames_float(state, interleaved, frames)
        var integrated = 0.0, range = 0.0
        ebur128_loudness_global(state, &integrated)
        ebur128_loudness_range(state, &range)
        return Reading(integrated: integrated, range: range)
    }

    static func ours(_ planar: [[Float]], rate: Int, loudnessRangeHop: Int = 10) -> LoudnessResult {
        var meter = LoudnessMeter(sampleRate: rate, layout: ChannelRole.defaultLayout(channels: planar.count), loudnessRangeHop: loudnessRangeHop)
        let pointers = planar.map { $0.withUnsafeBufferPointer { $0.baseAddress! } }
        // Blocks of an awkward size, so block boundaries never line up with 100 ms.
        var offset = 0
        let frames = planar[0].count
        while offset < frames {
            let count = min(3_333, frames - offset)
            pointers.map { $0 + offset }.withUnsafeBufferPointer { meter.process($0, frames: count) }
            offset += count
        }
        return withExtendedLifetime(planar) { meter.result() }
    }

    @Test("integrated within 0.05 LU and LRA within 0.2 LU", arguments: Programme.allCases, [(44_100, 2), (48_000, 1), (48_000, 6), (96_000, 2)].map(RateAndChannels.init))
    func agrees(programme: Programme, format: RateAndChannels) throws {
        let planar = programme.render(seconds: 45, rate: format.rate, channels: format.channels, seed: UInt64(format.rate + format.channels))
        let reference = Self.reference(planar, rate: format.rate)
        let ours = Self.ours(planar, rate: format.rate)
        let integrated = try #require(ours.integratedLUFS)
        #expect(abs(integrated - reference.integrated) <= 0.05, "I: ours \(integrated), libebur128 \(reference.integrated)")
        #expect(abs(ours.loudnessRangeLU - reference.range) <= 0.2, "LRA: ours \(ours.loudnessRangeLU), libebur128 \(reference.range)")
    }
}

struct RateAndChannels: Sendable, CustomStringConvertible {
    var rate: Int
    var channels: Int
    init(_ pair: (Int, Int)) { (rate, channels) = pair }
    var description: String { "\(rate) Hz × \(channels)" }
}
