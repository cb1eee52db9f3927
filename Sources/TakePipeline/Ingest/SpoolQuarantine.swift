import TakevaultCore

extension Vault {
    /// Why a spooled upload went to quarantine instead of becoming a take.
    public struct SpoolQuarantineReason: ReasonCoded, Sendable {
        public var code: String
        public var message: String
        public var category: ErrorCategory { .failure }

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Moves relay job `job`'s spooled upload into quarantine with `reason` (a copy, then the spool
    /// lets go): for an upload the relay gives up on (an operator cancelled its job) or cannot place
    /// (no job names it). Nothing that was acknowledged is deleted; the sweep removes the folder
    /// after the quarantine period, erasure with the owner's data when the owner is known.
    /// Returns the folder.
    @discardableResult
    public func quarantineSpooledUpload(job: String, owner: String?, originalName: String?, reason: SpoolQuarantineReason) throws -> String {
        let path = spool.acceptedPath(job: job)
        let digest = try FileDigest.sha256(path).digest.hex
        let folder = try Quarantine(vault: self).keep(upload: path, originalName: originalName ?? (job + ".upload"), owner: owner ?? "unknown-owner",
                                                      uploadSHA256: digest, error: reason)
        spool.removeAccepted(job: job)
        return folder
    }
}
