/// Where a relay job is (docs/RELAY.md): `queued`, then `processing`, then one final state —
/// `done` (a take exists), `rejected` (the upload is not a take takevault can keep; retrying the
/// same bytes gives the same answer) or `failed` (takevault could not finish; the upload is kept
/// and the job retried). The raw values are the wire's, the catalog's and the metrics' spelling.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, processing, done, rejected, failed

    /// The states a job ends in.
    public static let finalStates: [JobState] = [.done, .rejected, .failed]

    public var isFinal: Bool { Self.finalStates.contains(self) }
}
