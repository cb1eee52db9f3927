import TakevaultCore

/// A job as `GET /v1/jobs/{id}` returns it, and as a callback delivers its final state.
///
/// `state` is `queued` (after a failed attempt with `error` and `retry_at`), `processing` (with
/// `stage` and `percent`), `parked` (with `reason`: the owner's processing is restricted; the upload
/// is kept until the restriction is lifted), `done` (with `take_id` and `summary`), `rejected`
/// (with `reason`: the upload is not a take takevault can keep) or `failed` (with `error`: given
/// up — an operator cancelled the job and its upload went to quarantine, or the upload was gone).
public struct JobDocument: Sendable, Equatable, Codable {
    public var jobID: String
    public var state: JobState
    public var owner: String?
    public var createdAt: String
    public var updatedAt: String
    public var attempts: Int
    public var stage: String?
    public var percent: Double?
    public var takeID: String?
    /// `true` when the upload was already a take of this owner (a re-upload of the same audio).
    public var alreadyArchived: Bool?
    public var summary: JSONValue?
    public var reason: ErrorDetail?
    public var error: ErrorDetail?
    /// A queued job after a failed attempt: not tried again before this instant (ISO 8601).
    public var retryAt: String?

    public init(jobID: String, state: JobState, owner: String?, createdAt: String, updatedAt: String, attempts: Int) {
        self.jobID = jobID
        self.state = state
        self.owner = owner
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.attempts = attempts
    }

    public var isFinal: Bool { state.isFinal }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", state, owner, createdAt = "created_at", updatedAt = "updated_at", attempts, stage, percent, takeID = "take_id"
        case alreadyArchived = "already_archived", summary, reason, error, retryAt = "retry_at"
    }
}

/// A reason code and message, as every takevault error carries.
public struct ErrorDetail: Sendable, Equatable, Codable, Error {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// The body of every error response: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Sendable, Equatable, Codable {
    public var error: ErrorDetail

    public init(code: String, message: String) { error = ErrorDetail(code: code, message: message) }
}

/// The body of `202 Accepted`.
public struct AcceptedUpload: Sendable, Equatable, Codable {
    public var jobID: String
    public var state: JobState
    /// Where to follow the job: `/v1/jobs/{id}`.
    public var location: String
    /// `true` when the idempotency key named a job that already existed (a retry).
    public var duplicate: Bool

    public init(jobID: String, state: JobState, location: String, duplicate: Bool) {
        self.jobID = jobID
        self.state = state
        self.location = location
        self.duplicate = duplicate
    }

    enum CodingKeys: String, CodingKey { case jobID = "job_id", state, location, duplicate }
}
