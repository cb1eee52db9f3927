import ObjectStore
import TakeArchive
import TakeCatalog

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Sweep {
    /// Everything a sweep at one instant deletes, in the order it is applied, and what it keeps.
    public struct Plan: Sendable {
        /// One action and the report items it accounts for.
        struct Step: Sendable {
            var action: Action
            var items: [Item]

            /// The owner the step acts for, when it acts for one (a failure then skips that owner
            /// only).
            var owner: String? {
                switch action {
                case .deleteTakes(let owner, _): owner
                case .retireGenerations(let retirement): retirement.owner
                default: items.first?.owner
                }
            }
        }

        /// What the sweep does, one thing at a time, in the crash-safe order (OPERATIONS.md).
        enum Action: Sendable {
            /// Expired takes of one owner: manifests, then the chunks no remaining manifest needs,
            /// then the catalog rows (``TakeDeleter``).
            case deleteTakes(owner: String, takes: [String])
            /// Store objects, in the order given (an erased owner's manifests before its chunks;
            /// orphaned chunks).
            case deleteObjects([String])
            /// Superseded manifest generations no hold covers any more, and the chunks only they used.
            case retireGenerations(GenerationRetirement.Plan)
            /// Uploads a crash left unfinished, as listed when planning.
            case abortUploads([PendingUpload])
            /// An old quarantine folder, or the work folder of an interrupted ingest.
            case removeFolder(String)
            case deleteTombstone(String)
            /// Events and finished jobs recorded before this timestamp.
            /// (Never the jobs named: their upload is still spooled.)
            case deleteRecords(before: String, keepingJobs: Set<String>)
        }

        public let asOf: String
        var steps: [Step] = []
        /// What is due by the policy but kept, and why (held, restricted).
        public var kept: [Item] = []
        /// Owners the plan leaves alone because something of theirs could not be read.
        public var skipped: [Skipped] = []

        /// Everything the plan deletes, in order.
        public var deleted: [Item] { steps.flatMap(\.items) }

        /// The report of this plan: what a dry run prints, and what applying it did (without the
        /// steps of owners skipped while applying).
        func report(dryRun: Bool, skippedWhileApplying: [Skipped] = []) -> Report {
            let skippedOwners = Set(skippedWhileApplying.map(\.owner))
            let deleted = steps.filter { step in step.owner.map { !skippedOwners.contains($0) } ?? true }.flatMap(\.items)
            return Report(asOf: asOf, dryRun: dryRun, deleted: deleted, kept: kept, bytesFreed: deleted.reduce(0) { $0 + $1.bytes },
                          skipped: skipped + skippedWhileApplying)
        }
    }

    /// Reads the catalog, the store and the local folders, and returns what a sweep at `asOf` does.
    /// Changes nothing. Owner by owner in id order (each owner's expired takes, then their store
    /// objects), then the vault-wide part: the order a real run applies it in.
    public func plan(asOf: Date) async throws -> Plan {
        var plan = Plan(asOf: Timestamp.string(asOf))
        let (due, kept) = try await dueTakes(asOf: asOf)
        plan.kept = kept
        let expiredByOwner = Dictionary(grouping: due) { $0.owner ?? "" }
        let objectsByOwner = try await listedByOwner(prefix: ObjectNames.root)
        let holds = try await vault.catalog.activeHolds()
        for owner in Set(expiredByOwner.keys).union(objectsByOwner.keys).sorted() {
            try await planOwner(owner, expired: expiredByOwner[owner] ?? [], objects: objectsByOwner[owner] ?? [],
                                holds: holds.filter { $0.ownerID == owner }, asOf: asOf, into: &plan)
        }
        try await planVaultWide(asOf: asOf, into: &plan)
        return plan
    }

    /// The owners a sweep at `asOf` visits: those with expired takes in the catalog or objects in
    /// the store, in id order.
    func ownersToSweep(asOf: Date) async throws -> [String] {
        let expired = try await vault.catalog.expiredTakes(at: Timestamp.string(asOf))
        let listed = try await listedByOwner(prefix: ObjectNames.root)
        return Set(expired.map(\.ownerID)).union(listed.keys).sorted()
    }

    /// The store's objects under `prefix`, by owner (names outside the layout left out).
    func listedByOwner(prefix: String) async throws -> [String: [ListedObject]] {
        var byOwner: [String: [ListedObject]] = [:]
        for info in try await vault.store.list(prefix: prefix) {
            switch ObjectNames.parse(info.name) {
            case .key(let owner, _), .chunk(let owner, _), .manifest(let owner, _, _), .policy(let owner, _), .takeKey(let owner, _):
                byOwner[owner, default: []].append(info)
            case nil: break
            }
        }
        return byOwner
    }

    /// One owner's part of the sweep: their expired takes (`expired`, from ``dueTakes(asOf:owner:)``),
    /// then from their store `objects` an erased owner's leftovers, superseded generations no hold
    /// covers and chunks orphaned past the grace period. An owner whose data cannot be read (a
    /// damaged manifest, a key that does not open) is left alone and reported: one owner must not
    /// stop retention for everyone.
    func planOwner(_ owner: String, expired: [Item], objects: [ListedObject], holds: [HoldRecord], asOf: Date, into plan: inout Plan) async throws {
        let policy = vault.settings.retention
        let stepsBefore = plan.steps.count, keptBefore = plan.kept.count
        if !expired.isEmpty {
            plan.steps.append(Plan.Step(action: .deleteTakes(owner: owner, takes: expired.map(\.id)), items: expired))
        }
        guard !objects.isEmpty else { return }
        let graceCutoff = Int64(asOf.timeIntervalSince1970) - Int64(policy.orphanGraceHours) * 3_600
        let deleter = TakeDeleter(vault: vault)
      do {
        let expiring = Set(expired.map(\.id))
        // Objects the expired takes' step deletes (and reports): every generation's manifest, and
        // the chunks the catalog lists for them.
        let ofExpiredTakes = try await deleter.objectNames(of: Array(expiring))
        func belongsToExpiredTake(_ name: String) -> Bool {
            if case .manifest(_, let take, _) = ObjectNames.parse(name), expiring.contains(take) { return true }
            return ofExpiredTakes.contains(name)
        }
        if !objects.contains(where: { if case .key = ObjectNames.parse($0.name) { true } else { false } }) {
            plan.steps += erasedOwnerLeftovers(objects.filter { !belongsToExpiredTake($0.name) })
            return
        }
        if holds.contains(where: { $0.takeID == nil }) { return }
        let (retirements, retired, retiredManifests, keptGenerations) = try await supersededGenerations(owner: owner, objects: objects, expiring: expiring)
        plan.steps += retirements
        plan.kept += keptGenerations
        // Chunks no manifest will reference once the expired takes and the retired generations
        // are gone. Those the expired takes listed are theirs (deleted with them, counted
        // there); the rest are orphans once past the grace period that covers an ingest still
        // writing them.
        let referenced = try await deleter.referencedChunks(owner: owner, excluding: retiredManifests, excludingTakes: expiring)
        // What the catalog lists for takes it still holds is never an orphan, whatever the store
        // shows: a manifest gone or unreadable behind its back (a FIFO or a folder in its place is
        // not even listed) must not cost the take its audio. `verify` reports such a take; a
        // deletion that stopped part-way is finished by deleting it again.
        var catalogued = Set<String>()
        for take in try await vault.catalog.takes(owner: owner) where !expiring.contains(take.id) {
            catalogued.formUnion(try await vault.catalog.objects(ofTake: take.id).map(\.objectName))
            catalogued.insert(ObjectNames.takeKey(owner: owner, take: take.id))
        }
        let orphans = objects.filter { info in
            guard case .chunk = ObjectNames.parse(info.name) else { return false }
            return !referenced.contains(info.name) && !retired.contains(info.name) && !ofExpiredTakes.contains(info.name)
                && !catalogued.contains(info.name) && (info.lastModified ?? 0) <= graceCutoff
        }
        if !orphans.isEmpty {
            plan.steps.append(Plan.Step(action: .deleteObjects(orphans.map(\.name)), items: orphans.map {
                Item(kind: .orphanChunk, id: $0.name, owner: owner, reason: "referenced by no manifest for over \(policy.orphanGraceHours) h", bytes: $0.size)
            }))
        }
        // Take keys of takes with no manifest, past the same grace period (an ingest writes the key
        // first and its manifest last). Those of expiring takes go with their takes.
        let takesWithManifests = Set(objects.compactMap { info -> String? in
            if case .manifest(_, let take, _) = ObjectNames.parse(info.name) { return take }
            return nil
        })
        let orphanKeys = objects.filter { info in
            guard case .takeKey(_, let take) = ObjectNames.parse(info.name) else { return false }
            return !takesWithManifests.contains(take) && !expiring.contains(take) && !catalogued.contains(info.name)
                && (info.lastModified ?? 0) <= graceCutoff
        }
        if !orphanKeys.isEmpty {
            plan.steps.append(Plan.Step(action: .deleteObjects(orphanKeys.map(\.name)), items: orphanKeys.map {
                Item(kind: .orphanTakeKey, id: $0.name, owner: owner, reason: "the key of a take with no manifest for over \(policy.orphanGraceHours) h", bytes: $0.size)
            }))
        }
      } catch {
        plan.skipped.append(Skipped(owner: owner, error: error))
        plan.steps.removeSubrange(stepsBefore...)
        plan.kept.removeSubrange(keptBefore...)
      }
    }

    /// The part of a sweep that belongs to no owner, all of it past a grace period: uploads a
    /// crash left unfinished, old quarantine folders, work folders of interrupted ingests,
    /// tombstones and records past their days.
    ///
    /// What crashes leave (unfinished uploads, work folders) is aged by the clock as well as by
    /// `asOf`, whichever is earlier: an operation still running has its work folder and its
    /// uploads in flight, and a sweep run "as of" a later day must not take them for leftovers.
    func planVaultWide(asOf: Date, into plan: inout Plan) async throws {
        let policy = vault.settings.retention
        let leftoversAsOf = min(asOf, vault.clock.now())
        let graceCutoff = Int64(leftoversAsOf.timeIntervalSince1970) - Int64(policy.orphanGraceHours) * 3_600
        // Uploads a crash left unfinished (S3 multipart uploads; the local store's temporary files
        // and tags without an object): invisible, but stored (and on S3 billed) until removed.
        let staleUploads = try await vault.store.pendingUploads().filter { ($0.initiated ?? Int64.max) <= graceCutoff }
        if !staleUploads.isEmpty {
            plan.steps.append(Plan.Step(action: .abortUploads(staleUploads), items: staleUploads.map {
                Item(kind: .unfinishedUpload, id: $0.name, owner: nil, reason: "left unfinished for over \(policy.orphanGraceHours) h", bytes: 0)
            }))
        }

        // Uploads staged for relay jobs (FORMAT.md §10) once nothing can need them: the job is
        // done, or is gone (erased, forgotten), or the upload was never acknowledged (segments
        // without a seal); a rejected or failed job's (cancelled, or an upload that did not open)
        // after the quarantine period: its staged upload is its quarantine. Queued, processing and
        // parked jobs keep theirs; the grace period covers an upload still arriving.
        let quarantineCutoff = asOf.addingTimeInterval(-Double(policy.quarantineDays) * 86_400).timeIntervalSince1970
        let staged = try await UploadStaging(vault: vault).listed()
        for upload in staged where (upload.lastWritten ?? Int64.max) <= graceCutoff {
            let job = try await vault.catalog.job(upload.job)
            let reason: String
            switch job?.state {
            case nil: reason = upload.sealed ? "its job is gone" : "never acknowledged"
            case .done?: reason = "its job has ended"
            case .rejected? where (upload.lastWritten ?? Int64.max) <= Int64(quarantineCutoff):
                // A rejected upload stays staged as its quarantine, for as long as quarantine keeps one.
                reason = "rejected, quarantined over \(policy.quarantineDays) days"
            case .failed? where (upload.lastWritten ?? Int64.max) <= Int64(quarantineCutoff):
                reason = "given up, kept over \(policy.quarantineDays) days"
            default: continue
            }
            // The seal first, in a step of its own: from then on the upload is not staged, whatever
            // happens to the segments' deletion.
            let seals = upload.objects.filter { $0.name.hasSuffix("/seal") }
            let segments = upload.objects.filter { !$0.name.hasSuffix("/seal") }
            let item = Item(kind: .stagedUpload, id: upload.job, owner: upload.owner, reason: reason, bytes: upload.objects.reduce(0) { $0 + $1.size })
            if !seals.isEmpty { plan.steps.append(Plan.Step(action: .deleteObjects(seals.map(\.name)), items: [item])) }
            if !segments.isEmpty { plan.steps.append(Plan.Step(action: .deleteObjects(segments.map(\.name)), items: seals.isEmpty ? [item] : [])) }
        }

        // Quarantine and work folders.
        for folder in Self.folders(in: vault.quarantineDirectory) where folder.modified <= quarantineCutoff {
            plan.steps.append(Plan.Step(action: .removeFolder(vault.quarantineDirectory + "/" + folder.name), items: [
                Item(kind: .quarantine, id: folder.name, owner: nil, reason: "quarantined over \(policy.quarantineDays) days", bytes: 0),
            ]))
        }
        let workCutoff = leftoversAsOf.addingTimeInterval(-Double(policy.orphanGraceHours) * 3_600).timeIntervalSince1970
        // A work folder whose maker has ended (its lock is free) holds decoded audio nobody will
        // use: removed at once. One a live process holds is never touched, however old; one
        // without a lock file (an older version's) goes after the grace period.
        for folder in Self.folders(in: vault.workDirectory) {
            let reason: String
            switch WorkFolder.holder(of: vault.workDirectory + "/" + folder.name) {
            case .working: continue
            case .abandoned: reason = "left by a process that ended"
            case .unknown:
                guard folder.modified <= workCutoff else { continue }
                reason = "left by an interrupted ingest"
            }
            plan.steps.append(Plan.Step(action: .removeFolder(vault.workDirectory + "/" + folder.name), items: [
                Item(kind: .workFolder, id: folder.name, owner: nil, reason: reason, bytes: 0),
            ]))
        }

        // Tombstones and records.
        let tombstoneCutoff = Timestamp.string(asOf.addingTimeInterval(-Double(policy.tombstoneDays) * 86_400))
        for tombstone in try await vault.catalog.tombstones() where tombstone.at <= tombstoneCutoff {
            plan.steps.append(Plan.Step(action: .deleteTombstone(tombstone.id), items: [
                Item(kind: .tombstone, id: tombstone.id, owner: nil, reason: "kept \(policy.tombstoneDays) days", bytes: 0),
            ]))
        }
        let recordCutoff = Timestamp.string(asOf.addingTimeInterval(-Double(policy.recordDays) * 86_400))
        // A job's row outlives its spooled or staged upload: the relay finds the upload's owner and
        // metadata there, and an upload without a job would be taken for one never acknowledged.
        let spooled = Set(vault.spool.acceptedJobs()).union(staged.map(\.job))
        let records = try await vault.catalog.countRecords(before: recordCutoff, keepingJobs: spooled)
        plan.steps.append(Plan.Step(action: .deleteRecords(before: recordCutoff, keepingJobs: spooled), items: records > 0
            ? [Item(kind: .records, id: "\(records)", owner: nil, reason: "older than \(policy.recordDays) days", bytes: 0)] : []))
    }

    /// An owner whose keys are destroyed (erased): every object left is unreadable by anyone.
    /// Manifests first, in a step of their own (an S3 batch delete has no order within it), so no
    /// take ever points at a missing chunk.
    private func erasedOwnerLeftovers(_ objects: [ListedObject]) -> [Plan.Step] {
        let manifests = objects.filter { Self.isManifest($0.name) }, others = objects.filter { !Self.isManifest($0.name) }
        return [manifests, others].filter { !$0.isEmpty }.map { group in
            Plan.Step(action: .deleteObjects(group.map(\.name)), items: group.map {
                Item(kind: .erasedOwnerObject, id: $0.name, owner: nil, reason: "owner erased", bytes: $0.size)
            })
        }
    }

    /// Superseded generations that reprocess kept because a hold covered the take: retired once no
    /// hold does. Returns the steps, the objects they delete (not orphans, then), the manifests
    /// among them, and the takes still held. Takes are planned one after another, each as if the
    /// retirements before it were done, so a chunk two retired generations shared goes with the
    /// second (as when they were retired one by one).
    private func supersededGenerations(owner: String, objects: [ListedObject], expiring: Set<String>) async throws
        -> (steps: [Plan.Step], retired: Set<String>, retiredManifests: Set<String>, kept: [Item]) {
        var generationsByTake: [String: [Int]] = [:]
        for info in objects {
            if case .manifest(_, let take, let generation) = ObjectNames.parse(info.name) { generationsByTake[take, default: []].append(generation) }
        }
        let sizes = Dictionary(objects.map { ($0.name, $0.size) }, uniquingKeysWith: { a, _ in a })
        let retirement = GenerationRetirement(vault: vault)
        var steps: [Plan.Step] = [], retired = Set<String>(), retiredManifests = Set<String>(), kept: [Item] = []
        for (take, generations) in generationsByTake.sorted(by: { $0.key < $1.key }) where generations.count > 1 && !expiring.contains(take) {
            guard let current = generations.max() else { continue }
            if try await retirement.isHeld(owner: owner, take: take) {
                kept.append(Item(kind: .supersededGeneration, id: take, owner: owner, reason: "held: kept until the hold is lifted", bytes: 0))
                continue
            }
            let plan = try await retirement.plan(owner: owner, current: [take: current], alsoGone: expiring, alsoGoneManifests: retiredManifests)
            let bytes = (plan.manifests + plan.chunks).reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
            let superseded = (plan.generations[take] ?? []).map(String.init).joined(separator: ", ")
            steps.append(Plan.Step(action: .retireGenerations(plan), items: [
                Item(kind: .supersededGeneration, id: take, owner: owner, reason: "generation \(superseded) superseded by \(current)", bytes: bytes),
            ]))
            retired.formUnion(plan.manifests + plan.chunks)
            retiredManifests.formUnion(plan.manifests)
        }
        return (steps, retired, retiredManifests, kept)
    }
}
