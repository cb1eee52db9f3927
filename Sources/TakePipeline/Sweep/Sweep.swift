import ObjectStore
import TakeArchive
import TakeCatalog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Applies the retention policy at an instant: expired takes, erased owners' leftovers, orphaned
/// chunks past their grace period, old quarantine folders, work folders of crashed ingests, old
/// records and tombstones. Held takes and restricted owners' takes are kept and reported.
///
/// The plan is a function of the vault's state and the instant alone, so a dry run reports exactly
/// what the real run does, and a run interrupted at any point is finished by the next.
public struct Sweep: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Item: Sendable, Encodable, Equatable {
        public var kind: String
        public var id: String
        public var owner: String?
        public var reason: String
        public var bytes: Int64
        /// For takes: when their retention ended.
        public var retainUntil: String? = nil

        enum CodingKeys: String, CodingKey { case kind, id, owner, reason, bytes, retainUntil = "retain_until" }
    }

    public struct Report: Sendable, Encodable {
        public var asOf: String
        public var dryRun: Bool
        /// What is (or would be) deleted.
        public var deleted: [Item] = []
        /// What is due by the policy but kept, and why (held, restricted).
        public var kept: [Item] = []
        public var bytesFreed: Int64 = 0

        enum CodingKeys: String, CodingKey { case asOf = "as_of", dryRun = "dry_run", deleted, kept, bytesFreed = "bytes_freed" }
    }

    public func run(asOf: Date, dryRun: Bool) async throws -> Report {
        let policy = vault.settings.retention
        let now = Timestamp.string(asOf)
        var report = Report(asOf: now, dryRun: dryRun)
        let holds = try vault.catalog.activeHolds()
        let heldOwners = Set(holds.filter { $0.takeID == nil }.map(\.ownerID))

        // 1. Expired takes, by owner (one catalog query: see `plan`).
        var expiredByOwner: [String: [String]] = [:]
        let (deleted, kept) = try plan(asOf: asOf)
        report.kept = kept
        report.deleted = deleted
        for item in deleted { expiredByOwner[item.owner ?? "", default: []].append(item.id) }
        report.bytesFreed += report.deleted.reduce(0) { $0 + $1.bytes }
        if !dryRun {
            for (owner, takes) in expiredByOwner.sorted(by: { $0.key < $1.key }) {
                _ = try await TakeDeleter(vault: vault).delete(takes: takes, owner: owner, reason: "retention")
            }
        }

        // 2. Store objects: erased owners' leftovers and orphaned chunks.
        let graceCutoff = Int64(asOf.timeIntervalSince1970) - Int64(policy.orphanGraceHours) * 3_600
        let everything = try await vault.store.list(prefix: ObjectNames.root)
        var byOwner: [String: [ListedObject]] = [:]
        for info in everything {
            switch ObjectNames.parse(info.name) {
            case .key(let owner, _), .chunk(let owner, _), .manifest(let owner, _, _): byOwner[owner, default: []].append(info)
            case nil: break
            }
        }
        for (owner, objects) in byOwner.sorted(by: { $0.key < $1.key }) {
            let hasKey = objects.contains { if case .key = ObjectNames.parse($0.name) { return true } else { return false } }
            if !hasKey {
                // Keys destroyed: an erased owner's leftovers, unreadable by anyone. Manifests first.
                let ordered = objects.sorted { (Self.isManifest($0.name) ? 0 : 1, $0.name) < (Self.isManifest($1.name) ? 0 : 1, $1.name) }
                for info in ordered {
                    report.deleted.append(Item(kind: "erased_owner_object", id: info.name, owner: nil, reason: "owner erased", bytes: info.size))
                    report.bytesFreed += info.size
                }
                if !dryRun {
                    try await vault.store.delete(ordered.map(\.name).filter(Self.isManifest))
                    try await vault.store.delete(ordered.map(\.name).filter { !Self.isManifest($0) })
                }
                continue
            }
            if heldOwners.contains(owner) { continue }
            // Superseded generations that reprocess kept because a hold covered the take: retired
            // once no hold does (their chunks are counted here, not as orphans).
            var retired = Set<String>()
            var generationsByTake: [String: [Int]] = [:]
            for info in objects {
                if case .manifest(_, let take, let generation) = ObjectNames.parse(info.name) { generationsByTake[take, default: []].append(generation) }
            }
            let sizes = Dictionary(objects.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
            let expiring = Set(expiredByOwner[owner] ?? [])
            for (take, generations) in generationsByTake.sorted(by: { $0.key < $1.key }) where generations.count > 1 && !expiring.contains(take) {
                let current = generations.max()!
                let retirement = GenerationRetirement(vault: vault)
                if try retirement.isHeld(owner: owner, take: take) {
                    report.kept.append(Item(kind: "superseded_generation", id: take, owner: owner, reason: "held: kept until the hold is lifted", bytes: 0))
                    continue
                }
                let plan = try await retirement.plan(owner: owner, current: [take: current])
                let bytes = (plan.manifests + plan.chunks).reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
                report.deleted.append(Item(kind: "superseded_generation", id: take, owner: owner,
                                           reason: "generation \((plan.generations[take] ?? []).map(String.init).joined(separator: ", ")) superseded by \(current)", bytes: bytes))
                report.bytesFreed += bytes
                retired.formUnion(plan.manifests + plan.chunks)
                if !dryRun { try await retirement.retire(owner: owner, current: [take: current]) }
            }
            let referenced = try await dryRun
                ? referencedChunks(owner: owner, excluding: Set(expiredByOwner[owner] ?? []))
                : TakeDeleter(vault: vault).referencedChunks(owner: owner)
            // For a dry run, chunks of the takes above are counted there, not as orphans.
            let ofExpiredTakes = dryRun ? try TakeDeleter(vault: vault).objectNames(of: expiredByOwner[owner] ?? []) : []
            for info in objects where !referenced.contains(info.name) && !retired.contains(info.name) {
                guard case .chunk = ObjectNames.parse(info.name) else { continue }
                // Chunks of takes deleted above are counted there; the rest are orphans.
                if ofExpiredTakes.contains(info.name) { continue }
                guard (info.lastModified ?? 0) <= graceCutoff else { continue }
                report.deleted.append(Item(kind: "orphan_chunk", id: info.name, owner: owner, reason: "referenced by no manifest for over \(policy.orphanGraceHours) h", bytes: info.size))
                report.bytesFreed += info.size
                if !dryRun { try await vault.store.delete(info.name) }
            }
        }

        // Uploads a crash left open (S3 multipart): invisible, but stored (and billed) until aborted.
        let uploadCutoff = Int64(asOf.timeIntervalSince1970) - Int64(policy.orphanGraceHours) * 3_600
        let staleUploads = try await vault.store.pendingUploads().filter { ($0.initiated ?? Int64.max) <= uploadCutoff }
        for upload in staleUploads {
            report.deleted.append(Item(kind: "multipart_upload", id: upload.name, owner: nil,
                                       reason: "multipart upload left open for over \(policy.orphanGraceHours) h", bytes: 0))
        }
        if !dryRun, !staleUploads.isEmpty { _ = try await vault.store.abortStaleUploads(startedBefore: uploadCutoff + 1) }

        // 3. Quarantine and work folders.
        let quarantineCutoff = asOf.addingTimeInterval(-Double(policy.quarantineDays) * 86_400).timeIntervalSince1970
        for folder in Self.folders(in: vault.quarantineDirectory) where folder.modified <= quarantineCutoff {
            report.deleted.append(Item(kind: "quarantine", id: folder.name, owner: nil, reason: "quarantined over \(policy.quarantineDays) days", bytes: 0))
            if !dryRun { FileIO.removeTree(vault.quarantineDirectory + "/" + folder.name) }
        }
        let workCutoff = asOf.addingTimeInterval(-Double(policy.orphanGraceHours) * 3_600).timeIntervalSince1970
        for folder in Self.folders(in: vault.workDirectory) where folder.modified <= workCutoff {
            report.deleted.append(Item(kind: "work_folder", id: folder.name, owner: nil, reason: "left by an interrupted ingest", bytes: 0))
            if !dryRun { FileIO.removeTree(vault.workDirectory + "/" + folder.name) }
        }

        // 4. Records and tombstones.
        let recordCutoff = Timestamp.string(asOf.addingTimeInterval(-Double(policy.recordDays) * 86_400))
        let tombstoneCutoff = Timestamp.string(asOf.addingTimeInterval(-Double(policy.tombstoneDays) * 86_400))
        for tombstone in try vault.catalog.tombstones() where tombstone.at <= tombstoneCutoff {
            report.deleted.append(Item(kind: "tombstone", id: tombstone.id, owner: nil, reason: "kept \(policy.tombstoneDays) days", bytes: 0))
            if !dryRun { try vault.catalog.deleteTombstone(tombstone.id) }
        }
        let records = try vault.catalog.countRecords(before: recordCutoff)
        if records > 0 { report.deleted.append(Item(kind: "records", id: "\(records)", owner: nil, reason: "older than \(policy.recordDays) days", bytes: 0)) }
        if !dryRun {
            _ = try vault.catalog.deleteRecords(before: recordCutoff)
            // Every deletion is an audit event: takes have theirs (TakeDeleter); the rest here.
            let at = Timestamp.string(vault.clock.now())
            for item in report.deleted where item.kind != "take" && item.kind != "records" {
                try vault.catalog.append(AuditEvent.sweepDeletion(kind: item.kind, id: item.id, reason: item.reason).record(at: at, owner: item.owner))
            }
            try vault.catalog.append(AuditEvent.sweep(asOf: now, deleted: report.deleted.count, bytesFreed: report.bytesFreed)
                .record(at: Timestamp.string(vault.clock.now())))
        }
        return report
    }

    /// The takes due at `asOf`: those to delete, and those kept because a hold covers them or their
    /// owner's processing is restricted. Reads the catalog once.
    public func plan(asOf: Date) throws -> (delete: [Item], keep: [Item]) {
        let holds = try vault.catalog.activeHolds()
        let heldOwners = Set(holds.filter { $0.takeID == nil }.map(\.ownerID))
        let heldTakes = Set(holds.compactMap(\.takeID))
        var delete: [Item] = [], keep: [Item] = []
        for take in try vault.catalog.expiredTakes(at: Timestamp.string(asOf)) {
            if heldOwners.contains(take.ownerID) || heldTakes.contains(take.id) {
                keep.append(Item(kind: "take", id: take.id, owner: take.ownerID, reason: "held", bytes: take.bytes, retainUntil: take.retainUntil))
            } else if take.ownerRestricted {
                keep.append(Item(kind: "take", id: take.id, owner: take.ownerID, reason: "owner restricted", bytes: take.bytes, retainUntil: take.retainUntil))
            } else {
                delete.append(Item(kind: "take", id: take.id, owner: take.ownerID, reason: "retention ended", bytes: take.bytes, retainUntil: take.retainUntil))
            }
        }
        return (delete, keep)
    }

    /// For a dry run: chunks referenced by the owner's manifests other than those of `excluded` takes.
    private func referencedChunks(owner: String, excluding excluded: Set<String>) async throws -> Set<String> {
        var referenced = Set<String>()
        let locator = ManifestLocator(vault: vault)
        for info in try await vault.store.list(prefix: ObjectNames.takesPrefix(owner: owner)) {
            guard case .manifest(_, let take, _) = ObjectNames.parse(info.name), !excluded.contains(take) else { continue }
            let opened = try await locator.open(name: info.name, owner: owner)
            for artefact in opened.body.artefacts {
                for chunk in artefact.chunks { referenced.insert(ObjectNames.chunk(owner: owner, id: chunk.id)) }
            }
        }
        return referenced
    }

    static func isManifest(_ name: String) -> Bool {
        if case .manifest = ObjectNames.parse(name) { return true }
        return false
    }

    /// Sub-folders of `path` with their modification times.
    static func folders(in path: String) -> [(name: String, modified: Double)] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var result: [(String, Double)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var status = stat()
            guard stat(path + "/" + name, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { continue }
            result.append((name, Double(status.st_mtim.tv_sec)))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
