/// Block energies binned by loudness, so gating and percentiles need constant memory however long
/// the take is.
///
/// Resolution: 0.01 LU, from −70 LUFS (the absolute gate) to +30 LUFS (no block of ≤ 8 weighted
/// full-scale channels reaches it): 10 000 bins, each holding the count and the exact energy sum of
/// its blocks (160 kB). Sums over whole bins are exact, so the integrated loudness is exact except
/// for blocks within 0.01 LU of the relative gate, whose bin is kept or dropped as a whole by its
/// mean (measured within 0.01 LU); percentiles are read as the mean loudness of the bin holding
/// that rank, within 0.02 LU of the exact block (one bin, plus a rank moved by the gate's bin), so a
/// loudness range is within 0.04 LU. `LoudnessHistogramTests` checks both bounds against an exact
/// block list on random programmes.
public struct LoudnessHistogram: Sendable {
    public static let lowestLoudness = -70.0
    public static let highestLoudness = 30.0
    public static let binWidth = 0.01
    static let binCount = Int(((highestLoudness - lowestLoudness) / binWidth).rounded())

    private var counts: [Int]
    private var energies: [Double]
    /// Blocks recorded (those above the absolute gate).
    public private(set) var blockCount = 0

    public init() {
        counts = [Int](repeating: 0, count: Self.binCount)
        energies = [Double](repeating: 0, count: Self.binCount)
    }

    /// Records a block of mean-square energy `energy` (channel-weighted) if it is above −70 LUFS.
    public mutating func add(energy: Double) {
        let loudness = LoudnessScale.loudness(energy: energy)
        guard loudness > Self.lowestLoudness else { return }
        let bin = min(Int((loudness - Self.lowestLoudness) / Self.binWidth), Self.binCount - 1)
        counts[bin] &+= 1
        energies[bin] += energy
        blockCount &+= 1
    }

    /// The loudness of the mean energy of the blocks above `relativeGate` LU under the mean of all
    /// blocks: BS.1770's integrated loudness with −10, Tech 3342's gate with −20. `nil` when no
    /// block is above the gates.
    public func gatedMeanLoudness(relativeGate: Double) -> Double? {
        guard let first = firstGatedBin(relativeGate: relativeGate) else { return nil }
        var count = 0, energy = 0.0
        for bin in first..<Self.binCount {
            count &+= counts[bin]
            energy += energies[bin]
        }
        return count == 0 ? nil : LoudnessScale.loudness(energy: energy / Double(count))
    }

    /// The loudness at each of `percentiles` (0…1) among the blocks above the relative gate,
    /// nearest rank (index round((n − 1) p)), as Tech 3342 and libebur128 read them.
    public func gatedPercentiles(relativeGate: Double, _ percentiles: [Double]) -> [Double]? {
        guard let first = firstGatedBin(relativeGate: relativeGate) else { return nil }
        let total = counts[first...].reduce(0, +)
        guard total > 0 else { return nil }
        return percentiles.map { percentile in
            let rank = Int((Double(total - 1) * percentile).rounded())
            var seen = 0
            for bin in first..<Self.binCount where counts[bin] > 0 {
                seen += counts[bin]
                if seen > rank { return LoudnessScale.loudness(energy: energies[bin] / Double(counts[bin])) }
            }
            return Self.highestLoudness
        }
    }

    /// The first bin above the relative gate; a bin straddling the gate counts by its mean.
    private func firstGatedBin(relativeGate: Double) -> Int? {
        guard blockCount > 0 else { return nil }
        let meanEnergy = energies.reduce(0, +) / Double(blockCount)
        let threshold = LoudnessScale.loudness(energy: meanEnergy) + relativeGate
        var bin = max(0, Int((threshold - Self.lowestLoudness) / Self.binWidth))
        guard bin < Self.binCount else { return nil }
        if counts[bin] > 0, LoudnessScale.loudness(energy: energies[bin] / Double(counts[bin])) <= threshold { bin += 1 }
        return bin
    }
}
