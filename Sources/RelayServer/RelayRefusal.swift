import Hummingbird
import TakevaultCore

/// Why the server refused a request: a reason code, a message, and the HTTP status it maps to.
/// Codes are part of the relay API (docs/RELAY.md) and never change meaning.
struct RelayRefusal: ReasonCoded, Equatable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// Seconds for `Retry-After` (503 only).
    var retryAfter: Int?

    var category: ErrorCategory { status.code >= 500 ? .failure : .rejectedInput }

    static func unauthenticated(_ code: String, _ message: String) -> RelayRefusal {
        RelayRefusal(status: .unauthorized, code: code, message: message)
    }

    static func badRequest(_ code: String, _ message: String) -> RelayRefusal {
        RelayRefusal(status: .badRequest, code: code, message: message)
    }

    static func busy(_ message: String, retryAfter: Int) -> RelayRefusal {
        RelayRefusal(status: .serviceUnavailable, code: "relay_busy", message: message, retryAfter: retryAfter)
    }

    static func tooLarge(_ code: String, _ message: String) -> RelayRefusal {
        RelayRefusal(status: .contentTooLarge, code: code, message: message)
    }

    static func unsupported(_ message: String) -> RelayRefusal {
        RelayRefusal(status: .unsupportedMediaType, code: "unsupported_format", message: message)
    }
}
