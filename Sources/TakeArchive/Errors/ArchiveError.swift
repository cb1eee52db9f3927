import TakevaultCore

/// Why an archive object could not be read or written. Integrity failures name the object, so an
/// operator knows exactly what is damaged.
public enum ArchiveError: ReasonCoded, Equatable, Sendable {
    /// Authentication failed: the object was altered, swapped, moved to another owner, or sealed
    /// under another key.
    case authenticationFailed(object: String)
    /// The object is not in the format this version reads (magic, length or version wrong).
    case malformedObject(object: String, detail: String)
    /// A chunk decrypted but its content does not hash to its id, or an artefact to its SHA-256.
    case contentMismatch(object: String, detail: String)
    /// The master key is missing or unreadable.
    case masterKeyUnavailable(detail: String)

    public var code: String {
        switch self {
        case .authenticationFailed: "authentication_failed"
        case .malformedObject: "malformed_object"
        case .contentMismatch: "content_mismatch"
        case .masterKeyUnavailable: "master_key_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .authenticationFailed(let object):
            "\(object): authentication failed — the object was altered, swapped or moved, or the key is wrong."
        case .malformedObject(let object, let detail):
            "\(object): not a valid archive object (\(detail))."
        case .contentMismatch(let object, let detail):
            "\(object): content does not match its recorded hash (\(detail))."
        case .masterKeyUnavailable(let detail):
            "The master key is not available: \(detail)."
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .authenticationFailed, .malformedObject, .contentMismatch: .integrity
        case .masterKeyUnavailable: .failure
        }
    }
}
