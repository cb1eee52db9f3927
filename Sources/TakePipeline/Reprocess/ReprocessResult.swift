/// What reprocess did with one take.
public struct ReprocessResult: Sendable, Codable, Equatable {
    public var takeID: String
    public var owner: String
    public var outcome = Outcome.failed
    /// Why a take was skipped or failed.
    public var reason: Reason?
    /// What changes (`name: old → new`).
    public var changes: [String] = []
    /// The take's generation after the run.
    public var generation: Int?
    /// The new preview as measured after decoding.
    public var preview: PreviewMeasurement?
    /// `true` when a hold keeps the previous generation until it is lifted and the sweep runs.
    public var oldGenerationKept = false
    public var durationS: Double
    /// Generations older than this are to be retired once the run's derivations are done.
    var retireOlderThan: Int?

    /// What happened to the take; the raw value is the JSON contract of `reprocess --json`.
    public enum Outcome: String, Sendable, Codable {
        case done
        case skipped
        case failed
        /// A dry run's: the take would be reprocessed.
        case wouldReprocess = "would_reprocess"
    }

    public struct Reason: Sendable, Codable, Equatable {
        public var code: String
        public var message: String
    }

    init(takeID: String, owner: String, durationS: Double) {
        self.takeID = takeID
        self.owner = owner
        self.durationS = durationS
    }

    func skipped(_ code: String, _ message: String) -> ReprocessResult {
        var copy = self
        copy.outcome = .skipped
        copy.reason = Reason(code: code, message: message)
        return copy
    }

    func failed(_ code: String, _ message: String) -> ReprocessResult {
        var copy = self
        copy.outcome = .failed
        copy.reason = Reason(code: code, message: message)
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case takeID = "take_id", owner, outcome, reason, changes, generation, preview, oldGenerationKept = "old_generation_kept", durationS = "duration_s"
    }
}

/// A decoded preview's loudness and peak.
public struct PreviewMeasurement: Sendable, Codable, Equatable {
    public var integratedLUFS: Double?
    public var truePeakDBTP: Double?
    public var limiterEngaged: Bool

    enum CodingKeys: String, CodingKey { case integratedLUFS = "integrated_lufs", truePeakDBTP = "true_peak_dbtp", limiterEngaged = "limiter_engaged" }
}
