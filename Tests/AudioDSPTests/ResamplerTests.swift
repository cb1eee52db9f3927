import AudioDSP
import Testing
import TestSupport

/// The preview resampler: exact length, streaming, and the filter's measured quality.
@Suite("Polyphase resampler")
struct ResamplerTests {
    static let inputRates = [44_100, 88_200, 96_000, 176_400, 192_000, 32_000, 22_050, 16_000, 8_000]

    /// Resamples `input` (mono) in chunks of `chunk` frames and finishes.
    static func resample(_ input: [Float], from rate: Int, to outputRate: Int = 48_000, chunk: Int = 4_096) -> [Float] {
        var resampler = PolyphaseResampler(inputRate: rate, outputRate: outputRate, channels: 1)
        var output: [Float] = []
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: resampler.outputCapacity(forInputFrames: max(chunk, PolyphaseResampler.chunkFrames)) + PolyphaseResampler.chunkFrames * 8)
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < input.count {
                let count = min(chunk, input.count - offset)
                let written = [buffer.baseAddress! + offset].withUnsafeBufferPointer { source in
                    [scratch].withUnsafeBufferPointer { resampler.process(source, frames: count, into: $0) }
                }
                output += UnsafeBufferPointer(start: scratch, count: written)
                offset += count
            }
        }
        while true {
            let written = [scratch].withUnsafeBufferPointer { resampler.finish(into: $0) }
            output += UnsafeBufferPointer(start: scratch, count: written)
            if written == 0 { break }
        }
        return output
    }

    static func sine(frequency: Double, rate: Int, seconds: Double, amplitude: Double = 1) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// Least-squares fit of a sine at `frequency` over the steady middle of `signal`: its amplitude,
    /// and the power of everything else relative to the fitted sine (THD+N), in dB.
    static func fit(_ signal: [Float], frequency: Double, rate: Int, margin: Int) -> (amplitude: Double, residualDB: Double) {
        let range = margin..<(signal.count - margin)
        var ss = 0.0, cc = 0.0, sc = 0.0, sy = 0.0, cy = 0.0
        for n in range {
            let w = 2 * Double.pi * frequency * Double(n) / Double(rate)
            let (s, c, y) = (sin(w), cos(w), Double(signal[n]))
            ss += s * s; cc += c * c; sc += s * c; sy += s * y; cy += c * y
        }
        let det = ss * cc - sc * sc
        let a = (sy * cc - cy * sc) / det, b = (cy * ss - sy * sc) / det
        var residual = 0.0, power = 0.0
        for n in range {
            let w = 2 * Double.pi * frequency * Double(n) / Double(rate)
            let model = a * sin(w) + b * cos(w)
            residual += (Double(signal[n]) - model) * (Double(signal[n]) - model)
            power += model * model
        }
        return ((a * a + b * b).squareRoot(), 10 * log10(residual / power))
    }

    @Test("output length is exactly ⌈frames · 48000 / rate⌉, whatever the chunking", arguments: inputRates, [1_000, 4_096, 10_007])
    func exactLength(rate: Int, chunk: Int) {
        for frames in [1, 147, 44_101] {
            let output = Self.resample([Float](repeating: 0.1, count: frames), from: rate, chunk: chunk)
            let expected = (frames * 48_000 + rate - 1) / rate
            #expect(output.count == expected, "\(frames) frames at \(rate) Hz")
        }
    }

    @Test("chunking does not change a single sample", arguments: [44_100, 96_000])
    func chunkingInvariant(rate: Int) {
        var generator = SplitMix64(seed: 5)
        let input = (0..<30_000).map { _ in Float.random(in: -1...1, using: &generator) }
        #expect(Self.resample(input, from: rate, chunk: 333) == Self.resample(input, from: rate, chunk: 4_096))
    }

    @Test("THD+N of a full-scale 1 kHz sine is below −120 dB", arguments: inputRates)
    func thdPlusNoise(rate: Int) {
        let output = Self.resample(Self.sine(frequency: 1_000, rate: rate, seconds: 0.5, amplitude: 0.999), from: rate)
        let (amplitude, residual) = Self.fit(output, frequency: 1_000, rate: 48_000, margin: 2_000)
        #expect(abs(20 * log10(amplitude / 0.999)) < 0.01)
        #expect(residual < -120, "THD+N \(residual) dB at \(rate) Hz")
    }

    @Test("pass band flat within 0.01 dB up to 20 kHz (0.45·fs for lower rates)", arguments: inputRates)
    func passband(rate: Int) {
        let edge = min(20_000, 0.45 * Double(min(rate, 48_000)))
        for frequency in [20.0, 100, 1_000, 5_000, 10_000, 15_000, edge * 0.9, edge] where frequency <= edge {
            let output = Self.resample(Self.sine(frequency: frequency, rate: rate, seconds: 0.25, amplitude: 0.5), from: rate)
            let (amplitude, _) = Self.fit(output, frequency: frequency, rate: 48_000, margin: 1_500)
            let gain = 20 * log10(amplitude / 0.5)
            #expect(abs(gain) <= 0.01, "\(frequency) Hz at \(rate) Hz: \(gain) dB")
        }
    }

    @Test("downsampling: everything above 24 kHz is attenuated by at least 120 dB", arguments: [96_000, 192_000])
    func stopband(rate: Int) {
        for frequency in [24_500.0, 30_000, 40_000, 47_000] where frequency < Double(rate) / 2 {
            let output = Self.resample(Self.sine(frequency: frequency, rate: rate, seconds: 0.25), from: rate)
            let power = output[1_500..<(output.count - 1_500)].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(output.count - 3_000)
            #expect(10 * log10(power / 0.5) < -120, "\(frequency) Hz leaks \(10 * log10(power / 0.5)) dB")
        }
    }

    @Test("the SIMD kernel equals a scalar polyphase reference on random input")
    func matchesScalarReference() {
        let design = ResamplerDesign(inputRate: 44_100, outputRate: 48_000)
        let phases = design.makePhases()
        var generator = SplitMix64(seed: 9)
        let input = (0..<2_001).map { _ in Float.random(in: -1...1, using: &generator) }
        let output = Self.resample(input, from: 44_100, chunk: 97)
        let (l, m, taps) = (design.upFactor, design.downFactor, design.tapsPerPhase)
        let centre = l * taps / 2
        for k in stride(from: 0, to: output.count, by: 37) {
            let q = k * m + centre
            let (newest, phase) = (q / l, q % l)
            var sum = 0.0
            for j in 0..<taps {
                let index = newest - j
                if index >= 0 && index < input.count { sum += Double(phases[phase][taps - 1 - j]) * Double(input[index]) }
            }
            #expect(abs(Double(output[k]) - sum) < 1e-5, "output \(k)")
        }
    }

    @Test("48 kHz to 48 kHz is the identity")
    func identity() {
        var generator = SplitMix64(seed: 2)
        let input = (0..<5_000).map { _ in Float.random(in: -1...1, using: &generator) }
        let output = Self.resample(input, from: 48_000)
        #expect(output.count == input.count)
        #expect(output == input)
    }

    @Test("output is aligned with input: a pulse at t stays at t", arguments: [44_100, 96_000, 8_000])
    func alignment(rate: Int) {
        // A Gaussian pulse (band-limited enough for every rate) centred at 0.1 s.
        let width = 0.000_6 * 8_000 / Double(min(rate, 8_000)) * Double(rate) / 8_000
        let input = (0..<Int(0.2 * Double(rate))).map { n -> Float in
            let t = (Double(n) - 0.1 * Double(rate)) / (width * Double(rate))
            return Float(exp(-t * t / 2))
        }
        let output = Self.resample(input, from: rate)
        // Peak position by a parabola through the three largest samples.
        let peak = output.indices.max { output[$0] < output[$1] }!
        let (a, b, c) = (Double(output[peak - 1]), Double(output[peak]), Double(output[peak + 1]))
        let position = Double(peak) + 0.5 * (a - c) / (a - 2 * b + c)
        #expect(abs(position - 0.1 * 48_000) < 0.05, "pulse at \(position), expected 4800")
    }
}

#if canImport(Glibc)
import Glibc
#endif
