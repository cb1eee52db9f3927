import AudioCodecs
import ObjectStore
import TakeArchive
import TakePipeline
import TakevaultCore
import TestSupport
import AudioTestSupport

/// A fresh vault in a temporary directory.
final class TestVault {
    let directory = TestDirectory()
    let vault: Vault

    init(clock: PipelineClock = .system, settings: (inout PipelineSettings) -> Void = { _ in }) throws {
        try Vault.initialize(at: directory.file("vault"), environment: [:])
        vault = try Vault.open(at: directory.file("vault"), environment: [:], overrides: settings, clock: clock)
    }

    /// Reopens the vault (as a new process would), optionally at another time.
    func reopen(clock: PipelineClock = .system) throws -> Vault { try Vault.open(at: directory.file("vault"), environment: [:], clock: clock) }

    func ingest(_ path: String, owner: String = "alice", tier: Tier = .free, metadata: TakeMetadata = TakeMetadata()) async throws -> IngestResult {
        try await Ingest(vault: vault).run(IngestRequest(path: path, owner: owner, tier: tier, metadata: metadata))
    }

    func storePath(_ name: String) -> String { directory.file("vault/store/" + name) }
}

#if canImport(Glibc)
import Glibc
#endif
