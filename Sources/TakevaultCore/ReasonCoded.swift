/// How an error should be treated by whoever reports it: the CLI maps this to its exit code, the
/// relay to its status code, the pipeline to "quarantine" or "retry".
public enum ErrorCategory: String, Sendable, Codable {
    /// The input is bad; retrying with the same input gives the same answer (exit code 3).
    case rejectedInput = "rejected_input"
    /// Stored or produced data failed a check (checksum, MD5, verify) (exit code 4).
    case integrity
    /// The caller asked for a setting outside its range (exit code 2).
    case usage
    /// Anything else: I/O, resources, a library failing (exit code 1).
    case failure
}

/// An error with a stable reason code and a message a person can act on.
///
/// `code` is snake_case and never changes meaning once shipped: it appears in `--json` output,
/// quarantine records and relay responses. `message` may be reworded freely.
public protocol ReasonCoded: Error, CustomStringConvertible {
    var code: String { get }
    var message: String { get }
    var category: ErrorCategory { get }
}

extension ReasonCoded {
    public var description: String { message }
}
