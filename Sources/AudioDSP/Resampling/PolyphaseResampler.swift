/// Converts planar audio from one rate to another (to 48 kHz for the preview) with a polyphase
/// windowed-sinc filter (``ResamplerDesign``), streaming, with an exact output length.
///
/// Output frame k is the input interpolated at time k·M/L (input samples), so the output is aligned
/// with the input, not delayed. ``process(_:frames:into:)`` consumes any number of frames and writes
/// every output it can; ``finish(into:)`` flushes the rest, so that the total is exactly
/// ⌈inputFrames · L / M⌉. Each output is one SIMD dot product of ``ResamplerDesign/tapsPerPhase``
/// taps with the newest inputs. Equal rates pass samples through untouched. Memory: the phases and, per channel, a line of
/// `tapsPerPhase + chunkFrames` samples, allocated at init; `process` allocates nothing.
public struct PolyphaseResampler: Sendable {
    public let design: ResamplerDesign
    public let channels: Int
    /// Input frames taken per internal step; longer calls are split.
    public static let chunkFrames = 4_096

    private let phases: [Float]           // upFactor × tapsPerPhase, phase-major
    private var lines: [Float]            // channels × lineCapacity
    private let lineCapacity: Int
    /// Absolute input index of lines[c][0].
    private var lineStart: Int64
    /// Valid samples in each line.
    private var lineCount: Int
    private var inputFrames: Int64 = 0
    private var outputFrames: Int64 = 0
    private let centre: Int64             // upFactor × tapsPerPhase / 2
    /// Input index and phase of the next output, stepped by M without dividing (see `position`).
    private var nextNewest: Int64
    private var nextPhase: Int
    private let wholeStep: Int64           // M / L
    private let phaseStep: Int             // M mod L

    public init(inputRate: Int, outputRate: Int = 48_000, channels: Int) {
        design = ResamplerDesign(inputRate: inputRate, outputRate: outputRate)
        self.channels = channels
        phases = design.makePhases().flatMap { $0 }
        lineCapacity = design.tapsPerPhase + Self.chunkFrames
        lines = [Float](repeating: 0, count: channels * lineCapacity)
        // Inputs before the first are zeros: the line starts with a whole filter length of them.
        lineStart = -Int64(design.tapsPerPhase)
        lineCount = design.tapsPerPhase
        centre = Int64(design.upFactor * design.tapsPerPhase / 2)
        nextNewest = centre / Int64(design.upFactor)
        nextPhase = Int(centre % Int64(design.upFactor))
        wholeStep = Int64(design.downFactor / design.upFactor)
        phaseStep = design.downFactor % design.upFactor
    }

    /// The most output frames one ``process(_:frames:into:)`` of `frames` input frames can write.
    public func outputCapacity(forInputFrames frames: Int) -> Int {
        (frames * design.upFactor) / design.downFactor + 2
    }

    /// Output frames the whole stream will have once finished: ⌈inputFrames · L / M⌉.
    public var totalOutputFrames: Int64 {
        (inputFrames * Int64(design.upFactor) + Int64(design.downFactor) - 1) / Int64(design.downFactor)
    }

    /// Adds input and writes the outputs it completes; returns how many frames were written.
    public mutating func process(
        _ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int,
        into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>
    ) -> Int {
        precondition(input.count == channels && output.count == channels, "channel count mismatch")
        if design.upFactor == design.downFactor {
            for channel in 0..<channels { output[channel].update(from: input[channel], count: frames) }
            inputFrames += Int64(frames)
            outputFrames += Int64(frames)
            return frames
        }
        var written = 0
        var offset = 0
        while offset < frames {
            let count = min(Self.chunkFrames, frames - offset)
            append(input, offset: offset, count: count)
            inputFrames += Int64(count)
            written += produce(into: output, at: written, limit: Int64.max)
            offset += count
        }
        return written
    }

    /// Writes the last outputs (reading zeros past the end of the input); returns how many.
    public mutating func finish(into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>) -> Int {
        let total = totalOutputFrames
        guard design.upFactor != design.downFactor else { return 0 }
        var written = 0
        while outputFrames < total {
            appendSilence(count: min(Self.chunkFrames, lineCapacity - lineCount))
            written += produce(into: output, at: written, limit: total)
        }
        return written
    }

    /// Input index i and phase p of output k: i = ⌊(kM + c)/L⌋, p = (kM + c) mod L. The loop
    /// steps them instead (`advance`): a 64-bit division per output would cost more than the filter.
    @inline(__always)
    private mutating func advance() {
        nextNewest += wholeStep
        nextPhase += phaseStep
        if nextPhase >= design.upFactor {
            nextPhase -= design.upFactor
            nextNewest += 1
        }
    }

    private mutating func produce(into output: UnsafeBufferPointer<UnsafeMutablePointer<Float>>, at start: Int, limit: Int64) -> Int {
        let taps = design.tapsPerPhase
        var written = 0
        let available = lineStart + Int64(lineCount)  // inputs [.., available) are in the line
        let capacity = lineCapacity
        let lines = self.lines
        phases.withUnsafeBufferPointer { phases in
            lines.withUnsafeBufferPointer { lines in
                while outputFrames < limit && nextNewest < available {
                    let first = Int(nextNewest - lineStart) - taps + 1   // oldest input the phase reads
                    let kernel = phases.baseAddress! + nextPhase * taps
                    if channels == 2 {
                        let left = lines.baseAddress! + first, right = left + capacity
                        let (l, r) = Self.dot2(kernel, left, right, count: taps)
                        output[0][start + written] = l
                        output[1][start + written] = r
                    } else {
                        for channel in 0..<channels {
                            output[channel][start + written] = Self.dot(kernel, lines.baseAddress! + channel * capacity + first, count: taps)
                        }
                    }
                    written += 1
                    outputFrames += 1
                    advance()
                }
            }
        }
        compact()
        return written
    }

    /// Drops inputs no future output reads, keeping the line's start at the oldest one needed.
    private mutating func compact() {
        let oldestNeeded = nextNewest - Int64(design.tapsPerPhase) + 1
        let drop = Int(min(max(0, oldestNeeded - lineStart), Int64(lineCount)))
        guard drop > 0 else { return }
        let keep = lineCount - drop
        let capacity = lineCapacity
        lines.withUnsafeMutableBufferPointer { lines in
            for channel in 0..<channels {
                let base = lines.baseAddress! + channel * capacity
                base.update(from: base + drop, count: keep)
            }
        }
        lineStart += Int64(drop)
        lineCount = keep
    }

    private mutating func append(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, offset: Int, count: Int) {
        precondition(lineCount + count <= lineCapacity, "resampler line overflow")
        let (capacity, used) = (lineCapacity, lineCount)
        lines.withUnsafeMutableBufferPointer { lines in
            for channel in 0..<channels {
                (lines.baseAddress! + channel * capacity + used).update(from: input[channel] + offset, count: count)
            }
        }
        lineCount += count
    }

    private mutating func appendSilence(count: Int) {
        let (capacity, used) = (lineCapacity, lineCount)
        lines.withUnsafeMutableBufferPointer { lines in
            for channel in 0..<channels {
                (lines.baseAddress! + channel * capacity + used).update(repeating: 0, count: count)
            }
        }
        lineCount += count
    }

    /// Two dot products sharing the kernel's loads (stereo, the common case).
    @inline(__always)
    static func dot2(_ a: UnsafePointer<Float>, _ left: UnsafePointer<Float>, _ right: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var l = SIMD8<Float>(), r = SIMD8<Float>()
        var j = 0
        while j < count {
            let k = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
            l.addProduct(k, UnsafeRawPointer(left + j).loadUnaligned(as: SIMD8<Float>.self))
            r.addProduct(k, UnsafeRawPointer(right + j).loadUnaligned(as: SIMD8<Float>.self))
            j &+= 8
        }
        return (l.sum(), r.sum())
    }

    /// Σ a[j]·b[j] for j < count (a multiple of 8), in two SIMD8 accumulators.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var even = SIMD8<Float>(), odd = SIMD8<Float>()
        var j = 0
        while j + 16 <= count {
            even.addProduct(UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self))
            odd.addProduct(UnsafeRawPointer(a + j + 8).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(b + j + 8).loadUnaligned(as: SIMD8<Float>.self))
            j &+= 16
        }
        if j < count {
            even.addProduct(UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self))
        }
        return (even + odd).sum()
    }
}
