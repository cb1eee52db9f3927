#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where acknowledged uploads wait for their take (`<vault>/spool`), named in one place.
///
/// The relay server writes here (`incoming/` while a body arrives, `accepted/<job id>.upload` once
/// it is acknowledged, until the take commits); erasure removes an owner's accepted uploads with
/// the rest of their data. Both go through this type, so the layout has one owner.
public struct SpoolLayout: Sendable, Equatable {
    /// The spool folder.
    public let root: String

    public init(root: String) { self.root = root }

    /// Bodies still arriving: nothing here was acknowledged.
    public var incomingDirectory: String { root + "/incoming" }
    /// Acknowledged uploads, fsync'd, one per job.
    public var acceptedDirectory: String { root + "/accepted" }

    /// The accepted upload of relay job `job`.
    public func acceptedPath(job: String) -> String { acceptedDirectory + "/" + job + "." + Self.acceptedSuffix }

    /// The job an accepted file name belongs to, or `nil` for a name that is not an accepted upload.
    public func job(acceptedFileName name: String) -> String? {
        let suffix = "." + Self.acceptedSuffix
        guard name.hasSuffix(suffix), name.count > suffix.count else { return nil }
        return String(name.dropLast(suffix.count))
    }

    /// Job ids with an accepted upload on disk.
    public func acceptedJobs() -> [String] {
        guard let handle = opendir(acceptedDirectory) else { return [] }
        defer { closedir(handle) }
        var jobs: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if let job = job(acceptedFileName: name) { jobs.append(job) }
        }
        return jobs.sorted()
    }

    /// Deletes job `job`'s accepted upload, if there is one; `true` when a file was removed.
    @discardableResult
    public func removeAccepted(job: String) -> Bool { unlink(acceptedPath(job: job)) == 0 }

    static let acceptedSuffix = "upload"
}
