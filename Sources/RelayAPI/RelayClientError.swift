import TakevaultCore

/// Why a relay request did not succeed.
public enum RelayClientError: ReasonCoded, Equatable {
    /// The server answered with an error status and its reason.
    case refused(status: Int, code: String, message: String)
    /// The server could not be reached or the exchange broke off.
    case unreachable(url: String, detail: String)
    /// The server kept answering 503 for longer than the client would wait.
    case busy(seconds: Int)
    case fileUnreadable(path: String, detail: String)
    /// The server's answer was not the documented JSON.
    case unexpectedResponse(status: Int, detail: String)
    /// A downloaded artefact does not hash to its entity tag, or arrived short.
    case downloadMismatch(detail: String)
    case fileUnwritable(path: String, detail: String)

    public var code: String {
        switch self {
        case .refused(_, let code, _): code
        case .unreachable: "relay_unreachable"
        case .busy: "relay_busy"
        case .fileUnreadable: "file_unreadable"
        case .unexpectedResponse: "relay_unexpected_response"
        case .downloadMismatch: "download_mismatch"
        case .fileUnwritable: "file_unwritable"
        }
    }

    public var message: String {
        switch self {
        case .refused(let status, _, let message): "The relay refused the request (HTTP \(status)): \(message)"
        case .unreachable(let url, let detail): "Cannot reach the relay at \(url): \(detail)."
        case .busy(let seconds): "The relay stayed busy (503) for \(seconds) s; try again later."
        case .fileUnreadable(let path, let detail): "Cannot read \(path): \(detail)."
        case .unexpectedResponse(let status, let detail): "Unexpected answer from the relay (HTTP \(status)): \(detail)."
        case .downloadMismatch(let detail): "The download is not what the relay described: \(detail); nothing was kept."
        case .fileUnwritable(let path, let detail): "Cannot write \(path): \(detail)."
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .refused(let status, _, _):
            switch status {
            case 400, 403, 409, 413, 415: .rejectedInput
            case 404, 416: .usage
            default: .failure
            }
        case .fileUnreadable: .rejectedInput
        case .downloadMismatch: .integrity
        case .unreachable, .busy, .unexpectedResponse, .fileUnwritable: .failure
        }
    }
}
