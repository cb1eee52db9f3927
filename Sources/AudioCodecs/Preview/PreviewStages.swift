import AudioDSP

/// The preview's processing between decoder and encoder: gain, limiter (optional), resampler to
/// 48 kHz. Owns its scratch buffers (allocated once); each block goes through every stage and the
/// 48 kHz result is handed to `sink`.
final class PreviewStages {
    private let channels: Int
    private let gain: Float
    private var limiter: TruePeakLimiter?
    private var resampler: PolyphaseResampler
    private let gained: PlanarScratch
    private let limited: PlanarScratch
    private let resampled: PlanarScratch

    init(sampleRate: Int, channels: Int, gainDB: Double, limiterCeilingDB: Double?) {
        self.channels = channels
        gain = Float(Decibels.toLinear(gainDB))
        limiter = limiterCeilingDB.map { TruePeakLimiter(sampleRate: sampleRate, channels: channels, ceilingDB: $0) }
        resampler = PolyphaseResampler(inputRate: sampleRate, outputRate: 48_000, channels: channels)
        let blockCapacity = max(Transcoder.blockFrames, limiter?.delay ?? 0)
        gained = PlanarScratch(channels: channels, frames: blockCapacity)
        limited = PlanarScratch(channels: channels, frames: blockCapacity)
        resampled = PlanarScratch(channels: channels, frames: resampler.outputCapacity(forInputFrames: blockCapacity) + PolyphaseResampler.chunkFrames)
    }

    var limiterEngaged: Bool { limiter?.engaged ?? false }
    var limiterMinimumGain: Float { limiter?.minimumGain ?? 1 }

    /// Runs `frames` frames (at most the block capacity) through the stages.
    func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int, sink: (UnsafeBufferPointer<UnsafePointer<Float>>, Int) throws -> Void) throws {
        for channel in 0..<channels { Gain.apply(gain, to: input[channel], into: gained.mutable[channel], count: frames) }
        var stageInput = gained.readOnly
        var stageFrames = frames
        if limiter != nil {
            stageFrames = limiter!.process(gained.readOnly, frames: frames, into: limited.mutable)
            stageInput = limited.readOnly
        }
        try resample(stageInput, frames: stageFrames, sink: sink)
    }

    /// Flushes the limiter's delay and the resampler's tail.
    func finish(sink: (UnsafeBufferPointer<UnsafePointer<Float>>, Int) throws -> Void) throws {
        if limiter != nil {
            let frames = limiter!.finish(into: limited.mutable)
            try resample(limited.readOnly, frames: frames, sink: sink)
        }
        let tail = resampler.finish(into: resampled.mutable)
        try sink(resampled.readOnly, tail)
        var more = resampler.finish(into: resampled.mutable)
        while more > 0 {
            try sink(resampled.readOnly, more)
            more = resampler.finish(into: resampled.mutable)
        }
    }

    private func resample(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int, sink: (UnsafeBufferPointer<UnsafePointer<Float>>, Int) throws -> Void) throws {
        guard frames > 0 else { return }
        let written = resampler.process(input, frames: frames, into: resampled.mutable)
        try sink(resampled.readOnly, written)
    }
}

/// Planar float buffers with their pointer arrays, allocated once.
final class PlanarScratch {
    let frames: Int
    let storage: UnsafeMutablePointer<Float>
    let mutablePointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    let readOnlyPointers: UnsafeMutableBufferPointer<UnsafePointer<Float>>

    init(channels: Int, frames: Int) {
        self.frames = frames
        storage = .allocate(capacity: channels * frames)
        storage.initialize(repeating: 0, count: channels * frames)
        mutablePointers = .allocate(capacity: channels)
        readOnlyPointers = .allocate(capacity: channels)
        for channel in 0..<channels {
            mutablePointers[channel] = storage + channel * frames
            readOnlyPointers[channel] = UnsafePointer(storage + channel * frames)
        }
    }

    deinit {
        storage.deallocate()
        mutablePointers.deallocate()
        readOnlyPointers.deallocate()
    }

    var mutable: UnsafeBufferPointer<UnsafeMutablePointer<Float>> { UnsafeBufferPointer(mutablePointers) }
    var readOnly: UnsafeBufferPointer<UnsafePointer<Float>> { UnsafeBufferPointer(readOnlyPointers) }
}
