import TakevaultCore

/// Why a store operation failed.
public enum StoreError: ReasonCoded, Equatable, Sendable {
    case notFound(String)
    case alreadyExists(String)
    case invalidName(String)
    case io(operation: String, name: String, detail: String)
    /// The store answered, but not as the protocol expects (an S3 error, a malformed listing …).
    case remote(operation: String, name: String, status: Int, detail: String)
    /// The store refused the credentials or the request's signature (S3 401/403).
    case denied(operation: String, name: String, detail: String)

    public var code: String {
        switch self {
        case .notFound: "object_not_found"
        case .alreadyExists: "object_exists"
        case .invalidName: "invalid_object_name"
        case .io: "store_io_error"
        case .remote: "store_error"
        case .denied: "store_access_denied"
        }
    }

    public var message: String {
        switch self {
        case .notFound(let name): "\(name): no such object in the store."
        case .alreadyExists(let name): "\(name): already exists (create-only put)."
        case .invalidName(let name): "\"\(name.prefix(120))\" is not a valid object name."
        case .io(let operation, let name, let detail): "Could not \(operation) \(name): \(detail)."
        case .remote(let operation, let name, let status, let detail): "\(operation) \(name) failed (\(status)): \(detail)."
        case .denied(let operation, let name, let detail): "\(operation) \(name) was refused by the store (check the credentials and the clock): \(detail)."
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .notFound: .integrity
        case .invalidName: .usage
        case .alreadyExists, .io, .remote, .denied: .failure
        }
    }
}
