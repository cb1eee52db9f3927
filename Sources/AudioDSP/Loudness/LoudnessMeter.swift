/// EBU R128 / ITU-R BS.1770-4 loudness: momentary (400 ms), short-term (3 s), integrated (gated at
/// −70 LUFS and −10 LU) and loudness range (EBU Tech 3342: 3 s windows, −20 LU gate, 10th to 95th
/// percentile).
///
/// Create it for a rate and channel layout, feed it planar blocks of any length with
/// ``process(_:frames:)``, read ``momentaryLUFS`` / ``shortTermLUFS`` as it goes and ``result()``
/// at the end. K-weighting runs eight samples per step (``BlockIIRFilter``); everything after it
/// works on 100 ms sub-block energies, so memory is constant in the take's length (two
/// ``LoudnessHistogram``s) and `process` allocates nothing.
///
/// Momentary and short-term values are updated every 100 ms and the integrated gate uses 400 ms
/// blocks at that rate. The loudness range samples short-term loudness every 100 ms by default, as
/// Tech 3342 (2016) requires (≥ 10 Hz, windows overlapping by ≥ 2.9 s); libebur128 1.2.6 samples it
/// once a second, an earlier reading of the document. `loudnessRangeHop: 10` reproduces that
/// (agreement within 0.2 LU, tested); on short takes the two rates can differ by more than 1 LU
/// simply because 10 Hz sees ten times as many windows.
public struct LoudnessMeter: Sendable {
    public let sampleRate: Int
    public let weights: [Double]
    /// Frames in 100 ms: (rate + 5) / 10, the rounding libebur128 also uses.
    public let subBlockFrames: Int
    /// Short-term windows enter the loudness range every this many 100 ms sub-blocks.
    public let loudnessRangeHop: Int

    private let filter: BlockIIRFilter
    private var filterStates: [SIMD4<Float>]
    private var channelSums: [Double]
    private var framesInSubBlock = 0
    /// Channel-weighted mean-square energy of the last 30 sub-blocks (a ring).
    private var recentSubBlocks = [Double](repeating: 0, count: 30)
    private var subBlocksSeen = 0
    private var momentaryMaxEnergy = 0.0
    private var shortTermMaxEnergy = 0.0
    private var gatingBlocks = LoudnessHistogram()
    private var shortTermBlocks = LoudnessHistogram()

    /// Momentary loudness of the last complete 400 ms, or `nil` before the first 400 ms.
    public private(set) var momentaryLUFS: Double?
    /// Short-term loudness of the last complete 3 s, or `nil` before the first 3 s.
    public private(set) var shortTermLUFS: Double?

    public init(sampleRate: Int, layout: [ChannelRole], loudnessRangeHop: Int = 1) {
        precondition(loudnessRangeHop >= 1, "the hop is a whole number of 100 ms sub-blocks")
        self.sampleRate = sampleRate
        self.loudnessRangeHop = loudnessRangeHop
        weights = layout.map(ChannelWeighting.weight)
        subBlockFrames = (sampleRate + 5) / 10
        filter = BlockIIRFilter(sections: [KWeighting.shelf(sampleRate: Double(sampleRate)), KWeighting.highPass(sampleRate: Double(sampleRate))])
        filterStates = [SIMD4<Float>](repeating: .zero, count: layout.count)
        channelSums = [Double](repeating: 0, count: layout.count)
    }

    /// Adds `frames` frames of planar audio (one pointer per channel, in layout order).
    public mutating func process(_ channels: UnsafeBufferPointer<UnsafePointer<Float>>, frames: Int) {
        precondition(channels.count == weights.count, "channel count does not match the layout")
        var offset = 0
        while offset < frames {
            let segment = min(frames - offset, subBlockFrames - framesInSubBlock)
            for channel in 0..<channels.count where weights[channel] != 0 {
                channelSums[channel] += filter.sumOfSquares(channels[channel] + offset, count: segment, state: &filterStates[channel])
            }
            offset += segment
            framesInSubBlock += segment
            if framesInSubBlock == subBlockFrames { closeSubBlock() }
        }
    }

    private mutating func closeSubBlock() {
        var energy = 0.0
        for channel in 0..<channelSums.count {
            energy += weights[channel] * channelSums[channel]
            channelSums[channel] = 0
        }
        recentSubBlocks[subBlocksSeen % 30] = energy / Double(subBlockFrames)
        subBlocksSeen += 1
        framesInSubBlock = 0
        if subBlocksSeen >= 4 {
            let momentary = meanOfRecent(4)
            gatingBlocks.add(energy: momentary)
            momentaryMaxEnergy = max(momentaryMaxEnergy, momentary)
            momentaryLUFS = LoudnessScale.loudness(energy: momentary)
        }
        if subBlocksSeen >= 30 {
            let shortTerm = meanOfRecent(30)
            if (subBlocksSeen - 30) % loudnessRangeHop == 0 { shortTermBlocks.add(energy: shortTerm) }
            shortTermMaxEnergy = max(shortTermMaxEnergy, shortTerm)
            shortTermLUFS = LoudnessScale.loudness(energy: shortTerm)
        }
    }

    private func meanOfRecent(_ count: Int) -> Double {
        var sum = 0.0
        for back in 1...count { sum += recentSubBlocks[(subBlocksSeen - back) % 30] }
        return sum / Double(count)
    }

    /// The take's loudness so far.
    public func result() -> LoudnessResult {
        let range = shortTermBlocks.gatedPercentiles(relativeGate: -20, [0.10, 0.95]).map { $0[1] - $0[0] } ?? 0
        return LoudnessResult(
            integratedLUFS: gatingBlocks.gatedMeanLoudness(relativeGate: -10),
            loudnessRangeLU: range,
            momentaryMaxLUFS: momentaryMaxEnergy > 0 ? LoudnessScale.loudness(energy: momentaryMaxEnergy) : nil,
            shortTermMaxLUFS: shortTermMaxEnergy > 0 ? LoudnessScale.loudness(energy: shortTermMaxEnergy) : nil)
    }
}

/// A take's loudness. `nil` means "no value": silence, or a take shorter than the window.
public struct LoudnessResult: Sendable, Equatable, Codable {
    /// Integrated (programme) loudness, LUFS.
    public var integratedLUFS: Double?
    /// Loudness range, LU (0 when fewer than one 3 s window is above the gates).
    public var loudnessRangeLU: Double
    /// Highest momentary (400 ms) loudness, LUFS.
    public var momentaryMaxLUFS: Double?
    /// Highest short-term (3 s) loudness, LUFS.
    public var shortTermMaxLUFS: Double?
}
