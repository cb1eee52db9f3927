#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed: which operation, and `errno` (0 when a file ended before the bytes
/// it had to hold). What ``SystemIO`` throws; each module says which object or path it was about.
public struct SystemCallFailure: Error, Sendable, Equatable {
    public let operation: String
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// The reason, for a person: `strerror`, or "unexpected end of file".
    public var detail: String { errno == 0 ? "unexpected end of file" : String(cString: strerror(errno)) }

    /// The failure as a reason-coded error about `path`.
    public func about(_ path: String) -> SystemError { SystemError(operation: operation, path: path, detail: detail) }
}

/// A file operation that failed, about a path: `io_error` (exit 1), the code every module has
/// always used for it.
public struct SystemError: ReasonCoded, Equatable, Sendable {
    public let operation: String
    public let path: String
    public let detail: String

    public init(operation: String, path: String, detail: String) {
        self.operation = operation
        self.path = path
        self.detail = detail
    }

    /// The current `errno` for `operation` on `path`.
    public static func current(_ operation: String, _ path: String) -> SystemError {
        SystemError(operation: operation, path: path, detail: String(cString: strerror(errno)))
    }

    /// `error` about `path` when it is a ``SystemCallFailure`` (what ``SystemIO`` throws); any other error as it is.
    public static func about(_ path: String, _ error: any Error) -> any Error {
        (error as? SystemCallFailure)?.about(path) ?? error
    }

    public var code: String { "io_error" }
    public var message: String { "Could not \(operation) \(path): \(detail)." }
    public var category: ErrorCategory { .failure }
}
