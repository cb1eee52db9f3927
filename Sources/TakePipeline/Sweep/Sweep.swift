import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

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
/// A sweep is a plan and its application. ``plan(asOf:)`` reads the vault and the instant and
/// returns every action with the report item it accounts for; ``apply(_:)`` carries out that same
/// value. A dry run prints the plan, so it reports exactly what the real run does — one code path,
/// not two kept alike — and a run interrupted at any point is finished by the next.
public struct Sweep: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Item: Sendable, Codable, Equatable {
        /// What an item is; the raw value is the JSON contract of `sweep --json` and the audit
        /// event's kind (`delete_<kind>`).
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case take
            case orphanChunk = "orphan_chunk"
            /// A take's own key with no manifest of the take: an ingest that stopped before its commit.
            case orphanTakeKey = "orphan_take_key"
            case unfinishedUpload = "unfinished_upload"
            /// An upload staged for a relay job that has ended or is gone (FORMAT.md §10).
            case stagedUpload = "staged_upload"
            case quarantine
            case workFolder = "work_folder"
            case tombstone
            case records
            case erasedOwnerObject = "erased_owner_object"
            case supersededGeneration = "superseded_generation"
        }

        public var kind: Kind
        public var id: String
        public var owner: String?
        public var reason: String
        public var bytes: Int64
        /// For takes: when their retention ended.
        public var retainUntil: String? = nil

        enum CodingKeys: String, CodingKey { case kind, id, owner, reason, bytes, retainUntil = "retain_until" }
    }

    /// An owner a sweep left alone, and why.
    public struct Skipped: Sendable, Codable, Equatable {
        public var owner: String
        public var code: String
        public var message: String

        init(owner: String, error: Error) {
            self.owner = owner
            code = (error as? ReasonCoded)?.code ?? "sweep_owner_failed"
            message = (error as? ReasonCoded)?.message ?? "\(error)"
        }
    }

    public struct Report: Sendable, Codable {
        public var asOf: String
        public var dryRun: Bool
        /// What is (or would be) deleted.
        public var deleted: [Item] = []
        /// What is due by the policy but kept, and why (held, restricted).
        public var kept: [Item] = []
        public var bytesFreed: Int64 = 0
        /// Owners left alone because something of theirs could not be read; the rest was swept.
        public var skipped: [Skipped] = []

        enum CodingKeys: String, CodingKey { case asOf = "as_of", dryRun = "dry_run", deleted, kept, bytesFreed = "bytes_freed", skipped }

        /// Adds what another part of the same sweep did.
        mutating func append(_ other: Report) {
            deleted += other.deleted
            kept += other.kept
            bytesFreed += other.bytesFreed
            skipped += other.skipped
        }
    }

    /// Plans the sweep at `asOf` and, unless `dryRun`, applies that plan. A dry run's report is the
    /// plan's; a real run's is the same plan, applied.
    ///
    /// A real run works one owner at a time, each under that owner's exclusive lock: the owner's
    /// part of the plan is made and applied while nothing of theirs is ingested, reprocessed or
    /// re-dated (an orphan chunk being taken up by an ingest, a take being uploaded again), and
    /// every other owner's ingests go on meanwhile. Owners are found from one look at the catalog
    /// and the store; what each owner has is read again inside their lock. The vault-wide part
    /// (unfinished uploads, quarantine and work folders, tombstones, records) acts only on what is
    /// past its grace period, under the vault's shared lock. A dry run reads only.
    public func run(asOf: Date, dryRun: Bool) async throws -> Report {
        if dryRun {
            return try await vault.withLock(.vault, .shared) { try await plan(asOf: asOf).report(dryRun: true) }
        }
        return try await vault.withLock(.vault, .shared) {
            var report = Report(asOf: Timestamp.string(asOf), dryRun: false)
            for owner in try await ownersToSweep(asOf: asOf) {
                let applied = try await vault.withLock(.owner(owner), .exclusive) {
                    var plan = Plan(asOf: Timestamp.string(asOf))
                    let objects = try await listedByOwner(prefix: ObjectNames.ownerPrefix(owner))[owner] ?? []
                    // The catalog follows the owner's policy object before anything is judged by it
                    // (a tier change, hold or restriction interrupted after its object was stored).
                    if objects.contains(where: { if case .key = ObjectNames.parse($0.name) { true } else { false } }),
                       try await vault.catalog.owner(owner) != nil {
                        do { try await OwnerPolicyStore(vault: vault).reconcile(owner: owner) } catch {
                            plan.skipped.append(Skipped(owner: owner, error: error))
                            return plan.report(dryRun: false)
                        }
                    }
                    // Takes whose newest manifest the catalog has not indexed (an ingest or reprocess
                    // cut off between its commit and its index) are indexed first: their dates and
                    // chunks are the store's.
                    do { try await catchUpCatalog(owner: owner, objects: objects) } catch {
                        plan.skipped.append(Skipped(owner: owner, error: error))
                        return plan.report(dryRun: false)
                    }
                    let due = try await dueTakes(asOf: asOf, owner: owner)
                    plan.kept = due.keep
                    try await planOwner(owner, expired: due.delete, objects: objects, holds: try await vault.catalog.activeHolds(owner: owner),
                                        asOf: asOf, into: &plan)
                    return try await applySteps(plan)
                }
                report.append(applied)
            }
            var rest = Plan(asOf: Timestamp.string(asOf))
            try await planVaultWide(asOf: asOf, into: &rest)
            report.append(try await applySteps(rest))
            try await recordAudit(report)
            return report
        }
    }

    /// Carries out `plan`, step by step in its order, then records the audit events: one per
    /// deleted item (takes have theirs from ``TakeDeleter``; old records are counted, not listed)
    /// and one for the sweep.
    public func apply(_ plan: Plan) async throws -> Report {
        let report = try await applySteps(plan)
        try await recordAudit(report)
        return report
    }

    /// Carries out `plan`'s steps in order; an owner whose step fails is skipped from then on.
    func applySteps(_ plan: Plan) async throws -> Report {
        var skipped: [Skipped] = []
        for step in plan.steps {
            if let owner = step.owner, skipped.contains(where: { $0.owner == owner }) { continue }
          do {
            switch step.action {
            case .deleteTakes(let owner, let takes):
                _ = try await TakeDeleter(vault: vault).delete(takes: takes, owner: owner, reason: "retention")
            case .deleteObjects(let names):
                try await vault.store.delete(names)
            case .retireGenerations(let retirement):
                try await GenerationRetirement(vault: vault).apply(retirement)
            case .abortUploads(let uploads):
                try await vault.store.abort(uploads)
            case .removeFolder(let path):
                FileIO.removeTree(path)
            case .deleteTombstone(let id):
                try await vault.catalog.deleteTombstone(id)
            case .deleteRecords(let before, let spooled):
                _ = try await vault.catalog.deleteRecords(before: before, keepingJobs: spooled)
            }
            Failpoint.reach(Failpoint.sweepStepApplied)
          } catch let error where step.owner != nil {
            // One owner's failure leaves that owner for the next sweep; the rest goes on.
            skipped.append(Skipped(owner: step.owner!, error: error))
          }
        }
        return plan.report(dryRun: false, skippedWhileApplying: skipped)
    }

    /// The audit events of an applied sweep: one per deleted item (takes have theirs from
    /// ``TakeDeleter``; old records are counted, not listed) and one for the sweep.
    func recordAudit(_ report: Report) async throws {
        let at = Timestamp.string(vault.clock.now())
        for item in report.deleted where !Self.auditedElsewhere.contains(item.kind) && !Self.auditedAsCount.contains(item.kind) {
            try await vault.catalog.append(AuditEvent.sweepDeletion(kind: item.kind, id: item.id, reason: item.reason).record(at: at, owner: item.owner))
        }
        // Names of an erased owner's leftovers (and of unfinished uploads, which may be theirs)
        // carry the owner's id, which the audit log must no longer hold: those are counted.
        for kind in Self.auditedAsCount {
            let items = report.deleted.filter { $0.kind == kind }
            guard let first = items.first else { continue }
            try await vault.catalog.append(AuditEvent.sweepDeletionCount(kind: kind, count: items.count, reason: first.reason).record(at: at))
        }
        try await vault.catalog.append(AuditEvent.sweep(asOf: report.asOf, deleted: report.deleted.count, bytesFreed: report.bytesFreed)
            .record(at: Timestamp.string(vault.clock.now())))
    }

    /// Indexes every take of `owner` whose newest manifest in `objects` (the owner's listing) is
    /// newer than what the catalog records, or that the catalog does not list at all — except a
    /// take the catalog last recorded as deleted (put back from an earlier copy: `verify` names it).
    func catchUpCatalog(owner: String, objects: [ListedObject]) async throws {
        var newest: [String: (generation: Int, name: String)] = [:]
        for info in objects {
            if case .manifest(_, let take, let generation) = ObjectNames.parse(info.name), generation > (newest[take]?.generation ?? 0) {
                newest[take] = (generation, info.name)
            }
        }
        guard !newest.isEmpty else { return }
        let recorded = Dictionary(try await vault.catalog.takes(owner: owner).map { ($0.id, $0.generation) }, uniquingKeysWith: { a, _ in a })
        let locator = ManifestLocator(vault: vault)
        let deleted = try await AuditEvent.deletedTakes(owner: owner, in: vault.catalog)
        for (take, manifest) in newest.sorted(by: { $0.key < $1.key }) where manifest.generation > (recorded[take] ?? 0) && !deleted.contains(take) {
            let opened = try await locator.open(name: manifest.name, owner: owner)
            try await CatalogIndexer(catalog: vault.catalog).record(
                ManifestLocator.Opened(name: opened.name, header: opened.header, body: opened.body, objectBytes: opened.objectBytes),
                event: nil, at: Timestamp.string(vault.clock.now()))
        }
    }

    /// Item kinds whose audit events are written elsewhere (takes: ``TakeDeleter``) or not at all
    /// (records: the events themselves).
    static let auditedElsewhere: Set<Item.Kind> = [.take, .records]
    /// Item kinds audited as one event with a count, never by name.
    static let auditedAsCount: [Item.Kind] = [.erasedOwnerObject, .unfinishedUpload]

    /// The takes due at `asOf`: those to delete, and those kept because a hold covers them or their
    /// owner's processing is restricted. Reads the catalog once.
    /// With `owner`, that owner's only.
    public func dueTakes(asOf: Date, owner: String? = nil) async throws -> (delete: [Item], keep: [Item]) {
        let holds = try await vault.catalog.activeHolds(owner: owner)
        let heldOwners = Set(holds.filter { $0.takeID == nil }.map(\.ownerID))
        let heldTakes = Set(holds.compactMap(\.takeID))
        var delete: [Item] = [], keep: [Item] = []
        for take in try await vault.catalog.expiredTakes(at: Timestamp.string(asOf), owner: owner) {
            if heldOwners.contains(take.ownerID) || heldTakes.contains(take.id) {
                keep.append(Item(kind: .take, id: take.id, owner: take.ownerID, reason: "held", bytes: take.bytes, retainUntil: take.retainUntil))
            } else if take.ownerRestricted {
                keep.append(Item(kind: .take, id: take.id, owner: take.ownerID, reason: "owner restricted", bytes: take.bytes, retainUntil: take.retainUntil))
            } else {
                delete.append(Item(kind: .take, id: take.id, owner: take.ownerID, reason: "retention ended", bytes: take.bytes, retainUntil: take.retainUntil))
            }
        }
        return (delete, keep)
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
