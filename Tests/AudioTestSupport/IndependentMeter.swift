import AudioCodecs
import CEbur128
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loudness and true peak as a reference implementation measures them: libebur128, never
/// takevault's own meters. A promise about a rendered file (a preview on target, below its ceiling)
/// is checked with this, so the code under test does not grade itself.
public enum IndependentMeter {
    public struct Reading: Sendable {
        public var integratedLUFS: Double
        /// The highest true peak over the channels, dBTP.
        public var truePeakDBTP: Double
    }

    /// Measures a PCM file (WAV, AIFF, FLAC: decoded by libsndfile) with libebur128.
    public static func measure(_ path: String) throws -> Reading {
        let reader = try AudioFileReader(path: path)
        let channels = reader.info.channels
        let block = reader.makeBlock(capacity: 4_096)
        let state = ebur128_init(UInt32(channels), UInt(reader.info.sampleRate), Int32(EBUR128_MODE_I.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue))
        var owned = state
        defer { ebur128_destroy(&owned) }
        var interleaved = [Float](repeating: 0, count: 4_096 * channels)
        while true {
            let frames = try reader.read(into: block)
            if frames == 0 { break }
            for channel in 0..<channels {
                let samples = block.floatChannel(channel)
                for n in 0..<frames { interleaved[n * channels + channel] = samples[n] }
            }
            _ = ebur128_add_frames_float(state, interleaved, frames)
        }
        var integrated = 0.0, peak = 0.0
        ebur128_loudness_global(state, &integrated)
        for channel in 0..<channels {
            var channelPeak = 0.0
            ebur128_true_peak(state, UInt32(channel), &channelPeak)
            peak = max(peak, channelPeak)
        }
        return Reading(integratedLUFS: integrated, truePeakDBTP: 20 * log10(peak))
    }

    /// Decodes an Ogg Opus file with `opusdec` (the reference decoder, to 48 kHz float) and
    /// measures the result with libebur128.
    public static func measureOpus(_ path: String, scratch directory: TestDirectory) throws -> Reading {
        let decoded = directory.file("independent-\(UInt64.random(in: 0...UInt64.max)).wav")
        let decoding = run("opusdec", ["--quiet", "--float", path, decoded])
        guard decoding.status == 0 else { throw IndependentMeterError.decoderFailed(decoding.standardError) }
        return try measure(decoded)
    }
}

public enum IndependentMeterError: Error {
    case decoderFailed(String)
}
