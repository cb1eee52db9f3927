// Allocation counts: deterministic, so they gate CI without noise. Each DSP benchmark creates its
// kernel and buffers before the measurement starts, then pushes a 5-minute 48 kHz stereo buffer
// through it in 4096-frame blocks (3,516 blocks): the per-block calls must not allocate at all, so
// every DSP threshold (Thresholds/) is 0. Sealing may allocate a bounded number of times per 4 MiB
// chunk (the sealed object itself, the derived key); its threshold is the count for 16 chunks, and
// Benchmarks/README.md says what each allocation is.
//
// Run: swift package benchmark --target Allocations            (prints the counts)
//      swift package benchmark thresholds check --target Allocations   (the gate; exit 2 on a rise)

// Names are file-name safe: the thresholds are files named after them.

import AudioCodecs
import AudioDSP
import Benchmark
import TakeArchive

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

let frames = 300 * 48_000
let blockFrames = 4_096

/// A fixed 5-minute stereo buffer (two detuned tones with noise), planar.
let left: [Float] = (0..<frames).map { index -> Float in
    let tone = 0.4 * sin(Double(index) * 2 * Double.pi * 440 / 48_000)
    let noise = Double((index &* 1_103_515_245) & 1_023) * 1e-5
    return Float(tone + noise)
}
let right: [Float] = (0..<frames).map { index -> Float in Float(0.4 * sin(Double(index) * 2 * Double.pi * 443 / 48_000)) }

/// Calls `body` with each block of the buffer as planar channel pointers. Allocation-free itself.
func forEachBlock(_ body: (UnsafeBufferPointer<UnsafePointer<Float>>, Int) -> Void) {
    left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 2) { pointers in
                var offset = 0
                while offset < frames {
                    let count = min(blockFrames, frames - offset)
                    pointers[0] = l.baseAddress! + offset
                    pointers[1] = r.baseAddress! + offset
                    body(UnsafeBufferPointer(pointers), count)
                    offset += count
                }
            }
        }
    }
}

/// Two output channels with room for `capacity` frames, for kernels that write.
final class Outputs {
    let left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    init(capacity: Int) {
        left = .allocate(capacity: capacity)
        right = .allocate(capacity: capacity)
        pointers = .allocate(capacity: 2)
        pointers[0] = left
        pointers[1] = right
    }
    var buffer: UnsafeBufferPointer<UnsafeMutablePointer<Float>> { UnsafeBufferPointer(start: pointers, count: 2) }
    deinit {
        left.deallocate()
        right.deallocate()
        pointers.deallocate()
    }
}

/// The 5-minute buffer as an Opus preview, and its first 30 seconds as another (made once, on the
/// first use: encoding is not what is counted).
let previewDirectory = "/tmp/takevault-allocations-\(getpid())"
let previewFiles: (fiveMinutes: String, thirtySeconds: String) = {
    let directory = previewDirectory
    mkdir(directory, 0o755)
    atexit { _ = system("rm -rf '\(previewDirectory)'") }
    func encode(_ path: String, frames total: Int) -> String {
        let encoder = try! OpusPreviewEncoder(path: path, sampleRate: 48_000, layout: [.left, .right])
        var written = 0
        forEachBlock { block, count in
            guard written < total else { return }
            try! encoder.write(block, frames: min(count, total - written))
            written += count
        }
        _ = try! encoder.finish()
        return path
    }
    return (encode(directory + "/five-minutes.opus", frames: frames), encode(directory + "/thirty-seconds.opus", frames: 30 * 48_000))
}()

let benchmarks: @Sendable () -> Void = {
    // One warm-up iteration first: it pays for lazy globals (the test buffer, crypto tables) once.
    // Any change in a count fails the check, up or down (an improvement is then recorded with
    // `thresholds update`).
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal], warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 3,
        thresholds: [.mallocCountTotal: .init(absolute: BenchmarkThresholds.Absolute.strict)])

    Benchmark("loudness-meter") { benchmark in
        var meter = LoudnessMeter(sampleRate: 48_000, layout: [.left, .right])
        benchmark.startMeasurement()
        forEachBlock { meter.process($0, frames: $1) }
        benchmark.stopMeasurement()
        blackHole(meter.result().integratedLUFS)
    }

    Benchmark("true-peak") { benchmark in
        var peaks = PeakMeter(channels: 2)
        benchmark.startMeasurement()
        forEachBlock { peaks.process($0, frames: $1) }
        benchmark.stopMeasurement()
        blackHole(peaks.truePeak)
    }

    Benchmark("full-analysis") { benchmark in
        var meter = LoudnessMeter(sampleRate: 48_000, layout: [.left, .right])
        var peaks = PeakMeter(channels: 2)
        benchmark.startMeasurement()
        forEachBlock { meter.process($0, frames: $1); peaks.process($0, frames: $1) }
        benchmark.stopMeasurement()
        blackHole(meter.result().loudnessRangeLU)
    }

    Benchmark("gain-and-limiter") { benchmark in
        var limiter = TruePeakLimiter(sampleRate: 48_000, channels: 2, ceilingDB: -1)
        let outputs = Outputs(capacity: blockFrames)
        let gained = Outputs(capacity: blockFrames)
        let gainedInput = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 2)
        gainedInput[0] = UnsafePointer(gained.left)
        gainedInput[1] = UnsafePointer(gained.right)
        defer { gainedInput.deallocate() }
        benchmark.startMeasurement()
        forEachBlock { input, count in
            Gain.apply(4, to: input[0], into: gained.left, count: count)
            Gain.apply(4, to: input[1], into: gained.right, count: count)
            blackHole(limiter.process(UnsafeBufferPointer(start: gainedInput, count: 2), frames: count, into: outputs.buffer))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("resampler-44k1-to-48k") { benchmark in
        var resampler = PolyphaseResampler(inputRate: 44_100, outputRate: 48_000, channels: 2)
        let outputs = Outputs(capacity: resampler.outputCapacity(forInputFrames: blockFrames) + PolyphaseResampler.chunkFrames)
        benchmark.startMeasurement()
        forEachBlock { blackHole(resampler.process($0, frames: $1, into: outputs.buffer)) }
        benchmark.stopMeasurement()
    }

    Benchmark("waveform") { benchmark in
        var waveform = WaveformBuilder(sampleRate: 48_000, channels: 2, samplesPerPixel: 256, expectedFrames: Int64(frames))
        benchmark.startMeasurement()
        forEachBlock { waveform.process($0, frames: $1) }
        benchmark.stopMeasurement()
        blackHole(waveform.result().data.count)
    }

    Benchmark("format-conversion") { benchmark in
        let interleaved = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * 2)
        let planar = Outputs(capacity: blockFrames)
        defer { interleaved.deallocate() }
        benchmark.startMeasurement()
        forEachBlock { input, count in
            Interleave.floats(input, into: interleaved, frames: count)
            Deinterleave.floats(UnsafeBufferPointer(interleaved), into: planar.buffer, frames: count)
        }
        benchmark.stopMeasurement()
    }

    // Reading a preview back to check it (OggOpusReader: libogg + libopus). The reader's buffers
    // and libogg's grow to the largest page and packet, then stay: the same count for 30 seconds
    // as for 5 minutes shows nothing grows with the take.
    for (name, path) in [("5min", previewFiles.fiveMinutes), ("30s", previewFiles.thirtySeconds)] {
        Benchmark("preview-read-back-\(name)") { benchmark in
            benchmark.startMeasurement()
            let reader = try OggOpusReader(path: path)
            while try reader.read() > 0 {}
            benchmark.stopMeasurement()
            blackHole(reader.framesDelivered)
        }
    }

    // A manifest with 64 chunk references (a take of about 256 MiB): canonical JSON, sealed, opened.
    // Not zero (JSON coding allocates), but fixed: a regression in the coding shows as a new count.
    Benchmark("manifest-seal-and-open-64-chunks") { benchmark in
        let key = try OwnerKey.generate(owner: "owner-1")
        let chunks = (0..<64).map { index in #"{"id":"\#(String(repeating: String(index % 10), count: 64))","size":4194304}"# }.joined(separator: ",")
        let bodyText = #"{"analysis":{"integrated_lufs":-16.5},"artefacts":[{"bytes":268435456,"chunk_size":4194304,"chunks":[\#(chunks)],"codec":"flac","kind":"master","media_type":"audio/flac","settings":{},"sha256":"\#(String(repeating: "0", count: 64))"}],"generation":1,"ingested_at":"2026-11-29T00:00:00Z","original":{"bytes":22,"file_name":"take.wav","probe":{},"sha256":"\#(String(repeating: "0", count: 64))"},"owner":"owner-1","participants":[{"id":"owner-1","role":"performer"}],"pipeline":{"codec_versions":{},"settings":{},"settings_hash":"00","version":"takevault-pipeline/1"},"schema":1,"take_id":"c89a3672bceb47563465acb44b438e9a","tier":"studio"}"#
        let body = try JSONDecoder().decode(ManifestBody.self, from: Data(bodyText.utf8))
        let header = ManifestHeader(takeID: "c89a3672bceb47563465acb44b438e9a", owner: "owner-1", tier: .studio, retainUntil: nil, generation: 1, keyVersion: 1)
        benchmark.startMeasurement()
        let object = try ManifestSealer.seal(header: header, body: body, key: key)
        blackHole(try ManifestSealer.open(object, key: key, objectName: "v1/owners/owner-1/takes/c89a3672bceb47563465acb44b438e9a/manifest-000001"))
        benchmark.stopMeasurement()
    }

    // The same 64 MiB as 16 chunks of 4 MiB and as 64 chunks of 1 MiB: the counts scale with the
    // number of chunks, not their size — a bound per chunk.
    for (count, size) in [(16, 4 * 1_024 * 1_024), (64, 1_024 * 1_024)] {
        Benchmark("seal-\(count)-chunks-of-\(size / 1_048_576)MiB") { benchmark in
            let sealer = ChunkSealer(key: try OwnerKey.generate(owner: "bench"))
            let chunks = (0..<count).map { [UInt8](repeating: UInt8($0), count: size) }
            benchmark.startMeasurement()
            for chunk in chunks { blackHole(try sealer.seal(chunk)) }
            benchmark.stopMeasurement()
        }
        Benchmark("open-\(count)-chunks-of-\(size / 1_048_576)MiB") { benchmark in
            let sealer = ChunkSealer(key: try OwnerKey.generate(owner: "bench"))
            let sealed = try (0..<count).map { try sealer.seal([UInt8](repeating: UInt8($0), count: size)) }
            benchmark.startMeasurement()
            for (id, object) in sealed { blackHole(try sealer.open(object, id: id, objectName: "bench")) }
            benchmark.stopMeasurement()
        }
        Benchmark("chunk-id-\(count)-chunks-of-\(size / 1_048_576)MiB") { benchmark in
            let sealer = ChunkSealer(key: try OwnerKey.generate(owner: "bench"))
            let chunks = (0..<count).map { [UInt8](repeating: UInt8($0), count: size) }
            benchmark.startMeasurement()
            for chunk in chunks { blackHole(sealer.id(of: chunk)) }
            benchmark.stopMeasurement()
        }
    }
}
