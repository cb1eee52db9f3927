import Foundation
import ObjectStore
import TakeArchive
import TakePipeline
import TakevaultCore
import Testing
import TestSupport

/// A key rotation carries staged uploads over to the new master key (FORMAT.md §10), so an upload
/// acknowledged before it stays readable once the old key is gone, and names a seal it could not
/// open rather than pass over it in silence.
@Suite("Key rotation and staged uploads")
struct StagedSealRotationTests {
    /// Stages `bytes` as `job`'s upload for `owner`, from a file (its digest computed as the relay does).
    static func stage(_ bytes: [UInt8], owner: String, job: String, in vault: TestVault) async throws {
        let path = vault.directory.write(job + ".upload", bytes: bytes)
        let digest = try FileDigest.sha256(path).digest
        let writer = UploadStaging(vault: vault.vault).writer(owner: owner, tier: .pro, job: job)
        bytes.withUnsafeBytes { writer.append($0) }
        try await writer.finish(sha256: digest)
    }

    @Test("seals are rewrapped under the new key; one that does not open is named, and the rotation goes on")
    func rotationRewrapsSeals() async throws {
        let vault = try TestVault()
        let kept = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try await Self.stage(kept, owner: "alice", job: "job_kept", in: vault)
        try await Self.stage(Array(repeating: 9, count: 100), owner: "alice", job: "job_damaged", in: vault)
        let damagedSeal = StagingNames.seal(owner: "alice", job: "job_damaged")
        var sealBytes = try Array(Data(contentsOf: URL(fileURLWithPath: vault.storePath(damagedSeal))))
        sealBytes[sealBytes.count - 1] ^= 0x01
        try Data(sealBytes).write(to: URL(fileURLWithPath: vault.storePath(damagedSeal)))
        let before = vault.vault.masterKey.id

        let rotation = try await KeyRotation(vault: vault.vault).run()
        #expect(rotation.stagedUploadsRewrapped == 1)
        #expect(rotation.damagedStagedUploads == [damagedSeal])

        // The new key alone opens the kept upload: the reopened vault's ring holds nothing else.
        let reopened = try vault.reopen()
        #expect(reopened.masterKey.id != before && reopened.masterKeys.key(id: before) == nil)
        let keptSeal = try await reopened.store.get(StagingNames.seal(owner: "alice", job: "job_kept"))
        #expect(StagedUploadFormat.masterKeyID(ofSeal: keptSeal) == reopened.masterKey.id)
        let fetched = vault.directory.file("fetched.upload")
        let seal = try await UploadStaging(vault: reopened).fetch(owner: "alice", job: "job_kept", into: fetched)
        #expect(seal?.bytes == Int64(kept.count))
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: fetched))) == kept)
    }
}
