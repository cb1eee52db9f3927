
/// The signature on a callback — takevault telling a relay a job's final state (docs/RELAY.md,
/// "Callbacks"). HMAC-SHA256 under the relay's secret, like a request, but over a canonical form
/// that cannot be mistaken for one: another first line (``algorithm``), another
/// `Authorization` scheme, seven lines instead of eight. A callback therefore never verifies as a
/// request to the server, nor a request as a callback, although both use the same secret.
///
/// ```
/// TAKEVAULT-CALLBACK-HMAC-SHA256
/// POST
/// <path and query of the callback URL>
/// <X-Takevault-Date: Unix seconds>
/// <X-Takevault-Nonce>
/// <X-Takevault-Job: the job id>
/// <X-Takevault-Content-SHA256: SHA-256 hex of the body>
/// ```
public struct CallbackSignature: CanonicalSignature, Equatable {
    public static let algorithm = "TAKEVAULT-CALLBACK-HMAC-SHA256"

    public var path: String
    public var timestamp: Int64
    public var nonce: String
    public var jobID: String
    public var bodySHA256: String

    public init(path: String, timestamp: Int64, nonce: String, jobID: String, bodySHA256: String) {
        self.path = path
        self.timestamp = timestamp
        self.nonce = nonce
        self.jobID = jobID
        self.bodySHA256 = bodySHA256
    }

    /// The string the HMAC covers.
    public var canonicalString: String {
        [Self.algorithm, "POST", path, String(timestamp), nonce, jobID, bodySHA256.lowercased()].joined(separator: "\n")
    }
}
