import TakevaultCore

extension Vault {
    /// Why a held upload could not be written out.
    public enum HeldUploadExportError: ReasonCoded, Equatable, Sendable {
        /// Neither a staged upload nor a spooled one is held for the job.
        case notHeld(job: String)

        public var code: String { "upload_not_held" }
        public var message: String {
            switch self {
            case .notHeld(let job): "No upload is held for job \(job): it was archived, erased, or removed by the sweep."
            }
        }
        public var category: ErrorCategory { .rejectedInput }
    }

    /// Writes relay job `job`'s held upload (owner `owner`) to a new file at `path` (mode 0600,
    /// never over an existing file), as the relay received it: opened and checked from its staged
    /// copy in the store (FORMAT.md §10), or copied from the spool for an upload an older version
    /// acknowledged there. This is how an operator looks at an upload the relay rejected or that
    /// was cancelled: its staged copy is its quarantine. Runs under the owner's lock, so an erasure
    /// goes before or after, and records an audit event naming the job and who asked. Returns the
    /// number of bytes written.
    @discardableResult
    public func exportHeldUpload(job: String, owner: String, to path: String, by actor: String) async throws -> Int64 {
        try await withLock(.owner(owner), .shared) {
            let bytes: Int64
            if FileIO.exists(spool.acceptedPath(job: job)) {
                try FileIO.copy(spool.acceptedPath(job: job), to: path, mode: 0o600)
                bytes = try FileIO.size(path)
            } else if let seal = try await UploadStaging(vault: self).fetch(owner: owner, job: job, into: path) {
                bytes = seal.bytes
            } else {
                throw HeldUploadExportError.notHeld(job: job)
            }
            try await catalog.append(AuditEvent.uploadExported(job: job, by: actor).record(at: Timestamp.string(clock.now()), owner: owner))
            return bytes
        }
    }
}
