/// Min/max waveform data for the session UI, in the layout BBC audiowaveform defines, so existing
/// viewers (peaks.js, waveform-data.js) read it directly.
///
/// Every ``samplesPerPixel`` frames become one (min, max) pair per output channel. By default the
/// channels are mixed to one (their mean, as audiowaveform does); `splitChannels` keeps each.
/// Values are 16-bit (full scale ±32767) or 8-bit (the 16-bit value / 256, as audiowaveform
/// converts). The pairs are the product: either kept (reserve them with `expectedFrames` and
/// ``process(_:frames:)`` allocates nothing up to that length) or handed over as they accumulate
/// with ``drainPairs()``, so a writer can stream them to a file and memory stays flat in take length.
///
/// `expectedFrames` is a hint, usually read from a file's header, so it is never trusted to size
/// memory: at most ``maximumReservedValues`` are reserved up front, and the pairs grow from what
/// is actually processed.
public struct WaveformBuilder: Sendable {
    public enum Bits: Int, Sendable, Codable { case eight = 8, sixteen = 16 }

    public let sampleRate: Int
    public let samplesPerPixel: Int
    public let bits: Bits
    public let inputChannels: Int
    public let splitChannels: Bool
    private var pairs: [Int16] = []
    private var pixelMin: [Float]
    private var pixelMax: [Float]
    private var framesInPixel = 0
    /// Pixels handed over by ``drainPairs()`` so far.
    public private(set) var drainedPixels = 0
    /// The most values (4 MiB) reserved from `expectedFrames`: a 5-minute 48 kHz take at 256
    /// frames a pixel needs 113 K, a crafted header can claim 2⁴⁰ frames.
    public static let maximumReservedValues = 1 << 21

    public init(sampleRate: Int, channels: Int, samplesPerPixel: Int = 256, bits: Bits = .sixteen, splitChannels: Bool = false, expectedFrames: Int64 = 0) {
        precondition(samplesPerPixel >= 2, "at least two samples per pixel")
        self.sampleRate = sampleRate
        self.samplesPerPixel = samplesPerPixel
        self.bits = bits
        inputChannels = channels
        self.splitChannels = splitChannels
        let outputs = splitChannels ? channels : 1
        pixelMin = [Float](repeating: .infinity, count: outputs)
        pixelMax = [Float](repeating: -.infinity, count: outputs)
        let expectedPixels = max(expectedFrames, 0) / Int64(samplesPerPixel) + 1
        let expectedValues = expectedPixels.multipliedReportingOverflow(by: Int64(2 * outputs))
        pairs.reserveCapacity(expectedValues.overflow ? Self.maximumReservedValues : Int(min(expectedValues.partialValue, Int64(Self.maximumReservedValues))))
    }

    var outputChannels: Int { pixelMin.count }

    public mutating func process(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int) {
        precondition(input.count == inputChannels, "channel count mismatch")
        var offset = 0
        while offset < frames {
            let count = min(frames - offset, samplesPerPixel - framesInPixel)
            if splitChannels {
                for channel in 0..<inputChannels {
                    let (low, high) = Self.range(input[channel] + offset, count: count)
                    pixelMin[channel] = min(pixelMin[channel], low)
                    pixelMax[channel] = max(pixelMax[channel], high)
                }
            } else {
                let (low, high) = Self.mixedRange(input, offset: offset, count: count)
                pixelMin[0] = min(pixelMin[0], low)
                pixelMax[0] = max(pixelMax[0], high)
            }
            framesInPixel += count
            offset += count
            if framesInPixel == samplesPerPixel { closePixel() }
        }
    }

    private mutating func closePixel() {
        for channel in 0..<outputChannels {
            pairs.append(quantise(pixelMin[channel]))
            pairs.append(quantise(pixelMax[channel]))
            pixelMin[channel] = .infinity
            pixelMax[channel] = -.infinity
        }
        framesInPixel = 0
    }

    private func quantise(_ value: Float) -> Int16 {
        let sixteen = Int16((max(-1, min(1, value)) * 32_767).rounded())
        return bits == .sixteen ? sixteen : sixteen >> 8
    }

    /// Values (min/max pairs × channels) waiting to be drained.
    public var pendingValues: Int { pairs.count }

    /// Hands over the complete pixels so far (their min/max values) and forgets them.
    public mutating func drainPairs() -> [Int16] {
        let drained = pairs
        drainedPixels += pairs.count / (2 * outputChannels)
        pairs.removeAll(keepingCapacity: true)
        return drained
    }

    /// The finished data (a last partial pixel included) — after ``drainPairs()``, only the pixels
    /// not yet drained; ``WaveformData/length`` then counts those.
    public func result() -> WaveformData {
        var closing = self
        if closing.framesInPixel > 0 { closing.closePixel() }
        return WaveformData(
            sampleRate: sampleRate, samplesPerPixel: samplesPerPixel, bits: bits.rawValue,
            channels: outputChannels, data: closing.pairs)
    }

    static func range(_ x: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var low = SIMD8<Float>(repeating: .infinity), high = SIMD8<Float>(repeating: -.infinity)
        var index = 0
        while index + 8 <= count {
            let v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            low = lanewiseMin(low, v)
            high = lanewiseMax(high, v)
            index &+= 8
        }
        var lowest = low.min(), highest = high.max()
        while index < count {
            lowest = min(lowest, x[index])
            highest = max(highest, x[index])
            index &+= 1
        }
        return (lowest, highest)
    }

    static func mixedRange(_ input: UnsafeBufferPointer<UnsafePointer<Float>>, offset: Int, count: Int) -> (Float, Float) {
        let scale = 1 / Float(input.count)
        var low = SIMD8<Float>(repeating: .infinity), high = SIMD8<Float>(repeating: -.infinity)
        var index = 0
        while index + 8 <= count {
            var sum = SIMD8<Float>()
            for channel in 0..<input.count { sum += UnsafeRawPointer(input[channel] + offset + index).loadUnaligned(as: SIMD8<Float>.self) }
            sum *= scale
            low = lanewiseMin(low, sum)
            high = lanewiseMax(high, sum)
            index &+= 8
        }
        var lowest = low.min(), highest = high.max()
        while index < count {
            var sum: Float = 0
            for channel in 0..<input.count { sum += input[channel][offset + index] }
            sum *= scale
            lowest = min(lowest, sum)
            highest = max(highest, sum)
            index &+= 1
        }
        return (lowest, highest)
    }
}

/// Waveform data as audiowaveform writes it (format version 2).
public struct WaveformData: Sendable, Equatable, Codable {
    public var version = 2
    public var sampleRate: Int
    public var samplesPerPixel: Int
    public var bits: Int
    public var channels: Int
    /// min, max for channel 0, min, max for channel 1, … for pixel 0, then pixel 1, … (8-bit values
    /// are stored in the low byte range, −128 … 127). Two bytes a value: 8 MB for a 3-hour take.
    public var data: [Int16]

    /// Pixels (min/max pairs per channel).
    public var length: Int { channels == 0 ? 0 : data.count / (2 * channels) }

    /// The binary `.dat` layout: little-endian int32 version, uint32 flags (bit 0 set for 8-bit),
    /// int32 sample rate, int32 samples per pixel, uint32 length, int32 channels, then the pairs as
    /// int8 or int16.
    public func datBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 + data.count * (bits == 8 ? 1 : 2))
        func int32(_ value: Int) { withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { bytes += $0 } }
        int32(version)
        int32(bits == 8 ? 1 : 0)
        int32(sampleRate)
        int32(samplesPerPixel)
        int32(length)
        int32(channels)
        for value in data {
            if bits == 8 {
                bytes.append(UInt8(bitPattern: Int8(truncatingIfNeeded: value)))
            } else {
                withUnsafeBytes(of: Int16(truncatingIfNeeded: value).littleEndian) { bytes += $0 }
            }
        }
        return bytes
    }

    private enum CodingKeys: String, CodingKey { case version, channels, sampleRate = "sample_rate", samplesPerPixel = "samples_per_pixel", bits, length, data }

    /// The JSON layout audiowaveform writes (`version`, `channels`, `sample_rate`,
    /// `samples_per_pixel`, `bits`, `length`, `data`).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(channels, forKey: .channels)
        try container.encode(sampleRate, forKey: .sampleRate)
        try container.encode(samplesPerPixel, forKey: .samplesPerPixel)
        try container.encode(bits, forKey: .bits)
        try container.encode(length, forKey: .length)
        try container.encode(data, forKey: .data)
    }

    public init(sampleRate: Int, samplesPerPixel: Int, bits: Int, channels: Int, data: [Int16]) {
        self.sampleRate = sampleRate
        self.samplesPerPixel = samplesPerPixel
        self.bits = bits
        self.channels = channels
        self.data = data
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        sampleRate = try container.decode(Int.self, forKey: .sampleRate)
        samplesPerPixel = try container.decode(Int.self, forKey: .samplesPerPixel)
        bits = try container.decode(Int.self, forKey: .bits)
        channels = try container.decodeIfPresent(Int.self, forKey: .channels) ?? 1
        data = try container.decode([Int16].self, forKey: .data)
    }
}
