import Crypto
import ObjectStore
import TakeArchive
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Uploads staged in the vault's store (FORMAT.md §10): how a relay node of a shared vault keeps
/// what it acknowledged where every node can reach it, sealed, and how a worker on any node gets
/// it back.
///
/// A staged upload exists once its seal is written (``StagedUploadWriter/finish(sha256:)``); its
/// segments alone are an upload still arriving or one abandoned, which the sweep removes after the
/// grace period. The relay removes a staged upload when its job ends (done or rejected); the sweep
/// removes those whose job is gone or ended; an erasure removes the owner's.
public struct UploadStaging: Sendable {
    let store: any ObjectStore
    let masterKeys: MasterKeyRing
    let region: String
    let currency: MasterKeyCurrency

    public init(vault: Vault) {
        store = vault.store
        masterKeys = vault.masterKeys
        region = vault.region
        currency = MasterKeyCurrency(vault: vault)
    }

    /// A writer staging a new upload for `owner`'s job `job`, sealed under this node's master key
    /// as the ring holds it when the seal is written, if it is the vault's current one
    /// (``MasterKeyCurrency``).
    public func writer(owner: String, tier: Tier, job: String) -> StagedUploadWriter {
        let currency = currency
        return StagedUploadWriter(store: store, master: { [masterKeys] in masterKeys.primary }, owner: owner, job: job,
                                  tags: ObjectTags(owner: owner, tier: tier, kind: .stagedUpload, retainUntil: nil, region: region),
                                  checkMasterKey: { try await currency.checkWritable() })
    }

    /// Throws `master_key_outdated` unless this node may seal uploads now: checked before an
    /// upload's body is read, so an outdated node refuses at once rather than after the transfer.
    public func checkMasterKey() async throws {
        try await currency.checkWritable()
    }

    /// Fetches job `job`'s staged upload into a new file at `path` (mode 0600, synced), checking
    /// every segment, the length and the hash. Returns `nil` (and writes nothing) when no upload is
    /// staged for the job; throws when one is and it does not open whole.
    public func fetch(owner: String, job: String, into path: String) async throws -> StagedUploadFormat.Seal? {
        let sealName = StagingNames.seal(owner: owner, job: job)
        let object: [UInt8]
        do { object = try await store.get(sealName, range: 0..<Int64(StagedUploadFormat.sealSize + 1)) } catch StoreError.notFound {
            return nil
        }
        let seal = try StagedUploadFormat.openSeal(object, owner: owner, job: job, objectName: sealName) { masterKeys.key(id: $0) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SystemError.current("create", path)
        }
        var complete = false
        defer {
            close(descriptor)
            if !complete { unlink(path) }
        }
        var hasher = SHA256()
        var remaining = seal.bytes
        for index in 0..<seal.segments {
            let name = StagingNames.segment(owner: owner, job: job, index: index)
            let expected = Int(min(remaining, Int64(StagedUploadFormat.segmentSize)))
            let sealed = try await store.get(name, range: 0..<Int64(expected + StagedUploadFormat.segmentOverhead + 1))
            let plaintext = try StagedUploadFormat.openSegment(sealed, index: index, expectedBytes: expected, owner: owner, job: job,
                                                               key: seal.key, objectName: name)
            hasher.update(data: plaintext)
            do { try plaintext.withUnsafeBytes { try SystemIO.writeAll(descriptor, $0) } } catch let failure as SystemCallFailure {
                throw failure.about(path)
            }
            remaining -= Int64(expected)
        }
        guard Array(hasher.finalize()) == seal.sha256 else {
            throw ArchiveError.contentMismatch(object: sealName, detail: "the segments' SHA-256 is not the one sealed")
        }
        do { try SystemIO.sync(descriptor) } catch let failure as SystemCallFailure {
            throw failure.about(path)
        }
        complete = true
        return seal
    }

    /// Removes job `job`'s staged upload: the seal first (from then on it is no longer staged),
    /// then its segments. Removing one that is not there is not an error.
    public func remove(owner: String, job: String) async throws {
        try await store.delete(StagingNames.seal(owner: owner, job: job))
        try await store.delete(try await store.list(prefix: StagingNames.uploadPrefix(owner: owner, job: job)).map(\.name))
    }

    /// Removes every staged upload of `owner` (an erasure), seals first; returns the objects removed.
    public func removeAll(owner: String) async throws -> Int {
        let objects = try await store.list(prefix: StagingNames.ownerPrefix(owner)).map(\.name)
        try await store.delete(objects.filter { $0.hasSuffix("/seal") })
        try await store.delete(objects.filter { !$0.hasSuffix("/seal") })
        return objects.count
    }

    /// Every staged upload's objects, by owner and job.
    public func listed() async throws -> [StagedUploadObjects] {
        var uploads: [String: StagedUploadObjects] = [:]
        for info in try await store.list(prefix: StagingNames.root) {
            guard let (owner, job) = StagingNames.upload(of: info.name) else { continue }
            uploads["\(owner)/\(job)", default: StagedUploadObjects(owner: owner, job: job)].objects.append(info)
        }
        return uploads.values.sorted { ($0.owner, $0.job) < ($1.owner, $1.job) }
    }
}

/// The objects of one staged upload as the store lists them.
public struct StagedUploadObjects: Sendable {
    public var owner: String
    public var job: String
    public var objects: [ListedObject] = []

    /// Whether its seal is among them (the upload was acknowledged).
    public var sealed: Bool { objects.contains { $0.name.hasSuffix("/seal") } }
    /// When its newest object was written, when the store says.
    public var lastWritten: Int64? { objects.compactMap(\.lastModified).max() }
}
