/// Where a relay job is (docs/RELAY.md): `queued`, then `processing`, then one final state —
/// `done` (a take exists), `rejected` (the upload is not a take takevault can keep; retrying the
/// same bytes gives the same answer) or `failed` (the job was given up: an operator cancelled it and
/// its upload went to quarantine, or its upload was gone). A job whose attempt failed for a reason
/// that may pass is `queued` again, with a time before which it is not retried. `parked`: its
/// owner's processing is restricted; it waits, upload kept, until the restriction is lifted. The
/// raw values are the wire's, the catalog's and the metrics' spelling.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, processing, parked, done, rejected, failed

    /// The states a job ends in.
    public static let finalStates: [JobState] = [.done, .rejected, .failed]

    public var isFinal: Bool { Self.finalStates.contains(self) }
}
