/// Header names of the relay API (docs/RELAY.md).
public enum RelayHeaders {
    public static let authorization = "Authorization"
    /// Unix seconds when the request was signed; the server accepts ±5 minutes.
    public static let date = "X-Takevault-Date"
    /// A random value unique per request (at least 16 characters); a reused nonce is a replay.
    public static let nonce = "X-Takevault-Nonce"
    /// SHA-256 (hex) of the request body; checked against the body before the upload is accepted.
    public static let contentSHA256 = "X-Takevault-Content-SHA256"
    /// The take's metadata: base64url (no padding) of a JSON object (``UploadMetadata``).
    public static let metadata = "X-Takevault-Metadata"
    public static let idempotencyKey = "Idempotency-Key"
    public static let retryAfter = "Retry-After"
    /// On a callback: the job id the notice is about.
    public static let jobID = "X-Takevault-Job"
}
