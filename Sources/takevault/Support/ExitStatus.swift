import TakevaultCore
import ArgumentParser
import AudioCodecs

/// takevault's exit codes (the CLI contract in the architecture note).
enum ExitStatus: Int32, Comparable {
    case success = 0
    case failure = 1
    case usage = 2
    case rejectedInput = 3
    case integrity = 4

    init(for error: Error) {
        switch (error as? ReasonCoded)?.category {
        case .rejectedInput: self = .rejectedInput
        case .integrity: self = .integrity
        case .usage: self = .usage
        case .failure, nil: self = .failure
        }
    }

    /// When several files fail differently, the most specific reason wins: integrity over rejected
    /// input over usage over plain failure.
    private var severity: Int {
        switch self {
        case .success: 0
        case .failure: 1
        case .usage: 2
        case .rejectedInput: 3
        case .integrity: 4
        }
    }

    static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool { lhs.severity < rhs.severity }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
