import AudioCodecs
import ObjectStore
import TakeArchive
import TakeCatalog
@testable import TakePipeline
import TakevaultCore
import Testing
import TestSupport
import AudioTestSupport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The privacy policy's retention promises, travelling in time with an injected clock. The clock
/// starts at midnight UTC two days after the run begins: after the files' real modification times,
/// so an object written now counts as written before `start` (that is what the orphan grace period
/// looks at), and relative to the run, so the suite means the same in any year.
@Suite("Retention and privacy operations")
struct RetentionTests {
    static let start = Date(timeIntervalSince1970: ((Date().timeIntervalSince1970 / 86_400).rounded(.down) + 2) * 86_400)
    static func day(_ days: Double, seconds: Double = 0) -> Date { start.addingTimeInterval(days * 86_400 + seconds) }
    static let sample = RepositoryPaths.samples + "/keys-48k24-stereo.wav"

    /// Objects under the owner's takes and chunks (not their keys and policy: the owner's own).
    static func ownerObjects(_ vault: Vault, _ owner: String) async throws -> [String] {
        try await vault.store.list(prefix: ObjectNames.ownerPrefix(owner)).map(\.name).filter { !$0.contains("/keys/") && !$0.contains("/policy/") }
    }

    @Test("a take lives exactly its tier's window: free 7 days, pro 30 days", arguments: [(Tier.free, 7.0), (.pro, 30.0)])
    func tierWindow(tier: Tier, days: Double) async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, tier: tier).takeID
        let sweep = Sweep(vault: vault.vault)
        let early = try await sweep.run(asOf: Self.day(days, seconds: -1), dryRun: false)
        #expect(early.deletedTakes.isEmpty)
        #expect(try await vault.vault.catalog.take(take) != nil)
        _ = try await Restore(vault: vault.vault).run(take: take, artefact: .master, to: vault.directory.file("m.flac"))
        let due = try await sweep.run(asOf: Self.day(days), dryRun: false)
        #expect(due.deletedTakes == [take])
        #expect(try await vault.vault.catalog.take(take) == nil)
        #expect(try await Self.ownerObjects(vault.vault, "alice").isEmpty)
        #expect(try await vault.vault.catalog.events(owner: "alice").contains { $0.kind == "delete_take" && $0.takeID == take })
    }

    @Test("uploading a take again after its window ended archives it again, with a fresh window, everywhere it is recorded")
    func reuploadAfterWindow() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let first = try await vault.ingest(Self.sample, tier: .free)
        #expect(first.retainUntil == Timestamp.string(Self.day(7)))
        // Day 8: the window ended, no sweep has run yet; the musician uploads the same file again.
        let later = try vault.reopen(clock: .fixed(Self.day(8)))
        let again = try await Ingest(vault: later).run(IngestRequest(path: Self.sample, owner: "alice", tier: .free))
        #expect(again.takeID == first.takeID && !again.created)
        #expect(again.retainUntil == Timestamp.string(Self.day(15)), "seven days from the new upload")
        // The manifest, every object's tags and the catalog agree: the sweep keeps it to day 15.
        // (The take's key carries no retain-until at all, so no lifecycle rule can shred it early.)
        let manifest = try await Inspect(vault: later).run(take: first.takeID)
        #expect(manifest.header.retainUntil == again.retainUntil && manifest.body.retainUntil == again.retainUntil)
        #expect(try await later.store.head(ObjectNames.takeKey(owner: "alice", take: first.takeID))?.tags.retainUntil == nil)
        for name in try await Self.ownerObjects(later, "alice") where !name.hasSuffix("/key") {
            #expect(try await later.store.head(name)?.tags.retainUntil == again.retainUntil, "\(name)")
        }
        #expect(try await later.catalog.take(first.takeID)?.retainUntil == again.retainUntil)
        #expect(try await later.catalog.events(owner: "alice").contains { $0.kind == "retention_restarted" && $0.takeID == first.takeID })
        #expect(try await Sweep(vault: later).run(asOf: Self.day(9), dryRun: false).deletedTakes.isEmpty)
        _ = try await Restore(vault: later).run(take: first.takeID, artefact: .master, to: vault.directory.file("m.flac"))
        #expect(try await Sweep(vault: later).run(asOf: Self.day(15), dryRun: false).deletedTakes == [first.takeID])
        // Inside its window an upload again changes nothing.
        let fresh = try TestVault(clock: .fixed(Self.start))
        let kept = try await fresh.ingest(Self.sample, tier: .free)
        #expect(try await Ingest(vault: fresh.reopen(clock: .fixed(Self.day(6)))).run(IngestRequest(path: Self.sample, owner: "alice", tier: .free)).retainUntil
                == kept.retainUntil)
    }

    @Test("an ingest naming another tier than the owner's is a tier change: every take follows, with the usual rule and its event")
    func ingestNamingAnotherTier() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let first = try await vault.ingest(Self.sample, tier: .free)
        let later = try vault.reopen(clock: .fixed(Self.day(2)))
        let second = try await Ingest(vault: later).run(IngestRequest(path: RepositoryPaths.samples + "/voice-take-48k16-mono.wav", owner: "alice", tier: .pro))
        #expect(second.tier == .pro && second.retainUntil == Timestamp.string(Self.day(32)))
        #expect(try await later.catalog.owner("alice")?.tier == .pro)
        // The earlier take is upgraded as a tier change upgrades: pro's 30 days from its own ingest.
        #expect(try await later.catalog.take(first.takeID)?.tier == .pro)
        #expect(try await later.catalog.take(first.takeID)?.retainUntil == Timestamp.string(Self.day(30)))
        #expect(try await Inspect(vault: later).run(take: first.takeID).header.tier == .pro)
        #expect(try await later.catalog.tierHistory(owner: "alice").map(\.tier) == [.free, .pro])
        #expect(try await later.catalog.events(owner: "alice").contains { $0.kind == "tier_change" })
    }

    @Test("a sweep leaves an owner whose data cannot be read alone, says so, and sweeps everyone else")
    func sweepSkipsUnreadableOwner() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let alice = try await vault.ingest(Self.sample, owner: "alice", tier: .free).takeID
        let bob = try await vault.ingest(Self.sample, owner: "bob", tier: .studio).takeID
        // Bob's manifest is damaged: nothing of his can be planned safely (which chunks it needs).
        let manifest = try #require(try await vault.vault.store.list(prefix: ObjectNames.takesPrefix(owner: "bob")).first).name
        var bytes = try await vault.vault.store.get(manifest)
        bytes[bytes.count - 5] ^= 0x01
        try await vault.vault.store.put(manifest, data: bytes, tags: try #require(try await vault.vault.store.head(manifest)?.tags), createOnly: false)
        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(8), dryRun: false)
        #expect(report.skipped.map(\.owner) == ["bob"])
        #expect(report.skipped.first?.code == "authentication_failed")
        #expect(report.deletedTakes == [alice], "alice's expired take goes all the same")
        #expect(report.deleted.allSatisfy { $0.owner != "bob" })
        #expect(try await vault.vault.catalog.take(bob) != nil)
    }

    @Test("a studio take is still there after ten years")
    func studioForever() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, tier: .studio).takeID
        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(3_653), dryRun: false)
        #expect(!report.deletedTakes.contains(take))
        #expect(try await vault.vault.catalog.take(take)?.retainUntil == nil)
        _ = try await Restore(vault: vault.vault).run(take: take, artefact: .master, to: vault.directory.file("m.flac"))
    }

    @Test("upgrading free → pro on day 5 keeps the take to day 30")
    func upgrade() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, tier: .free).takeID
        let later = try vault.reopen(clock: .fixed(Self.day(5)))
        try await OwnerAdministration(vault: later).setTier(owner: "alice", to: .pro)
        #expect(try await later.catalog.take(take)?.retainUntil == Timestamp.string(Self.day(30)))
        let manifest = try await Inspect(vault: later).run(take: take)
        #expect(manifest.header.tier == .pro && manifest.header.retainUntil == Timestamp.string(Self.day(30)))
        #expect(try await later.store.head(manifest.name)?.tags.retainUntil == Timestamp.string(Self.day(30)))
        #expect(try await Sweep(vault: later).run(asOf: Self.day(29), dryRun: false).deletedTakes.isEmpty)
        #expect(try await Sweep(vault: later).run(asOf: Self.day(30), dryRun: false).deletedTakes == [take])
    }

    @Test("downgrading studio → free on day 100 leaves the new window from the change: gone on day 107")
    func downgrade() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, tier: .studio).takeID
        let later = try vault.reopen(clock: .fixed(Self.day(100)))
        try await OwnerAdministration(vault: later).setTier(owner: "alice", to: .free)
        #expect(try await later.catalog.take(take)?.retainUntil == Timestamp.string(Self.day(107)))
        #expect(try await Sweep(vault: later).run(asOf: Self.day(106), dryRun: false).deletedTakes.isEmpty)
        #expect(try await Sweep(vault: later).run(asOf: Self.day(107), dryRun: false).deletedTakes == [take])
        #expect(try await later.catalog.tierHistory(owner: "alice").map(\.tier) == [.studio, .free])
    }

    @Test("a hold keeps what it covers past its time and blocks erasure; lifting it lets the sweep delete")
    func holds() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let held = try await vault.ingest(Self.sample).takeID
        let free = try await vault.ingest(RepositoryPaths.samples + "/voice-take-48k16-mono.wav").takeID
        let admin = OwnerAdministration(vault: vault.vault)
        let hold = try await admin.hold(owner: "alice", take: held, reason: "investigation 42", by: "ops@example")
        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(8), dryRun: false)
        #expect(report.deletedTakes == [free])
        #expect(report.kept.map(\.id) == [held] && report.kept.first?.reason == "held")
        _ = try await admin.hold(owner: "alice", reason: "litigation", by: "legal@example")
        await #expect(throws: PipelineError.self) { _ = try await Erasure(vault: vault.vault).erase(owner: "alice") }
        _ = try await admin.liftHolds(owner: "alice", by: "legal@example")       // the owner-wide hold
        _ = try await admin.liftHolds(owner: "alice", holdID: hold, by: "ops@example")
        #expect(try await Sweep(vault: vault.vault).run(asOf: Self.day(8), dryRun: false).deletedTakes == [held])
    }

    @Test("every audit event's detail is JSON that carries what it was given verbatim, quotes and control characters included")
    func auditDetails() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample).takeID
        let admin = OwnerAdministration(vault: vault.vault)
        let actor = "ops \"night\" shift\\\n\u{1}"
        let hold = try await admin.hold(owner: "alice", take: take, reason: "r", by: actor)
        _ = try await admin.liftHolds(owner: "alice", holdID: hold, by: actor)
        _ = try await admin.setTier(owner: "alice", to: .studio)
        _ = try await Sweep(vault: vault.vault).run(asOf: Self.day(1), dryRun: false)
        let events = try await vault.vault.catalog.events()
        #expect(Set(events.map(\.kind)).isSuperset(of: ["ingest", "hold", "hold_lifted", "tier_change", "sweep"]))
        for event in events {
            let detail = try JSONDecoder().decode(JSONValue.self, from: Data(event.detail.utf8))
            guard case .object = detail else { Issue.record("\(event.kind): \(event.detail) is not an object"); continue }
            if event.kind == "hold" || event.kind == "hold_lifted" {
                #expect(detail["by"] == .string(actor) && detail["hold"] == .string(hold))
            }
            if event.kind == "tier_change" { #expect(detail["tier"] == .string("studio") && detail["takes"] == .number(1)) }
            if event.kind == "ingest" { #expect(detail["manifest"]?.stringValue?.hasPrefix("v1/owners/alice/takes/\(take)/") == true) }
        }
    }

    @Test("two takes whose superseded generations share chunks: one sweep retires both and leaves no orphan for the next")
    func sharedSupersededChunks() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        // The same audio from two relays: two takes with the same master, so the same waveform data
        // (previews differ: each Ogg stream gets its own serial number).
        var takes: [String] = []
        for relay in ["relay-a", "relay-b"] {
            takes.append(try await Ingest(vault: vault.vault).run(IngestRequest(path: Self.sample, owner: "alice", tier: .studio, relayKeyID: relay)).takeID)
        }
        #expect(takes[0] != takes[1])
        let admin = OwnerAdministration(vault: vault.vault)
        let hold = try await admin.hold(owner: "alice", reason: "keep generations", by: "ops")
        var selection = ReprocessSelection()
        selection.all = true
        // A new waveform zoom: each take's old waveform chunks are now named only by the two
        // superseded generations, one of each take.
        let zoomed = try Vault.open(at: vault.directory.file("vault"), environment: [:], overrides: { $0.waveformZoom = 512 }, clock: .fixed(Self.start))
        #expect(try await Reprocess(vault: zoomed).run(selection).done == 2)
        _ = try await admin.liftHolds(owner: "alice", holdID: hold, by: "ops")

        let sweep = try await Sweep(vault: vault.vault).run(asOf: Self.day(2), dryRun: false)
        #expect(Set(sweep.deleted.filter { $0.kind == .supersededGeneration }.map(\.id)) == Set(takes))
        #expect(sweep.deleted.filter { $0.kind == .orphanChunk }.isEmpty)
        // Everything left is referenced by a current manifest: a later sweep, past every grace period, finds nothing.
        let later = try await Sweep(vault: vault.vault).run(asOf: Self.day(30), dryRun: true)
        #expect(later.deleted.filter { $0.kind != .records }.isEmpty, "\(later.deleted.map { "\($0.kind.rawValue) \($0.id)" })")
        for take in takes { _ = try await Restore(vault: vault.vault).run(take: take, artefact: .preview, to: vault.directory.file("\(take).opus")) }
    }

    @Test("restriction: no ingest, no export with audio, nothing deleted; lifting restores it all")
    func restriction() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample).takeID
        let admin = OwnerAdministration(vault: vault.vault)
        try await admin.restrict(owner: "alice")
        await #expect(throws: PipelineError.ownerRestricted("alice")) { _ = try await vault.ingest(RepositoryPaths.samples + "/voice-take-48k16-mono.wav") }
        await #expect(throws: PipelineError.ownerRestricted("alice")) {
            _ = try await Export(vault: vault.vault).run(owner: "alice", to: vault.directory.file("export"), withAudio: true)
        }
        let kept = try await Sweep(vault: vault.vault).run(asOf: Self.day(30), dryRun: false)
        #expect(kept.kept.map(\.reason) == ["owner restricted"])
        #expect(try await vault.vault.catalog.take(take) != nil)
        try await admin.restrict(owner: "alice", lift: true)
        _ = try await vault.ingest(RepositoryPaths.samples + "/voice-take-48k16-mono.wav")
        #expect(try await Sweep(vault: vault.vault).run(asOf: Self.day(30), dryRun: false).deletedTakes.count == 2)
    }

    @Test("a dry run reports exactly the plan the real run carries out, and changes nothing")
    func dryRunEqualsRun() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        _ = try await vault.ingest(Self.sample, tier: .free)
        _ = try await vault.ingest(RepositoryPaths.samples + "/voice-take-48k16-mono.wav", owner: "carol", tier: .pro)
        _ = try await vault.ingest(Self.sample, owner: "bob", tier: .studio)
        // An orphaned chunk, as a crash before a commit would leave, and an old quarantine entry.
        let sealer = ChunkSealer(key: try await OwnerKeyring(vault: vault.vault).currentKey(owner: "bob")!)
        let orphan = try sealer.seal([1, 2, 3, 4])
        try await vault.vault.store.put(ObjectNames.chunk(owner: "bob", id: orphan.id), data: orphan.object,
                                        tags: ObjectTags(owner: "bob", tier: .studio, kind: .chunk, retainUntil: nil), createOnly: true)
        let before = try await vault.vault.store.list(prefix: "v1/")
        let sweep = Sweep(vault: vault.vault)
        let plan = try await sweep.run(asOf: Self.day(9), dryRun: true)
        #expect(try await vault.vault.store.list(prefix: "v1/") == before)
        let real = try await sweep.run(asOf: Self.day(9), dryRun: false)
        #expect(plan.deleted == real.deleted)
        #expect(plan.kept == real.kept)
        #expect(plan.bytesFreed == real.bytesFreed)
        #expect(real.deleted.contains { $0.kind == .orphanChunk && $0.id.hasSuffix(orphan.id.hex) })
        #expect(real.deleted.contains { $0.kind == .take && $0.owner == "alice" })
        #expect(try await Verify(vault: vault.vault).run(readData: true).ok)
        // Every deletion left an audit event.
        let events = try await vault.vault.catalog.events()
        #expect(events.contains { $0.kind == "delete_orphan_chunk" && $0.detail.contains(orphan.id.hex) })
        #expect(events.filter { $0.kind == "delete_take" }.count == real.deletedTakes.count)
    }

    @Test("erasure: at once nothing of the owner decrypts, not even from a copy of the store made before; no object of theirs remains; the tombstone is anonymous and goes after a year")
    func erasure() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, owner: "alice", tier: .studio).takeID
        let bob = try await vault.ingest(Self.sample, owner: "bob", tier: .studio).takeID
        // A rejected upload of each: alice's copy and its reason (which names her) go with her.
        let junk = vault.directory.write("junk.wav", bytes: Array("not audio, but someone's upload".utf8))
        for owner in ["alice", "bob"] {
            await #expect(throws: UploadRejected.self) { _ = try await vault.ingest(junk, owner: owner, tier: .studio) }
        }
        #expect(Quarantine(vault: vault.vault).folders(owner: "alice").count == 1)
        let copy = vault.directory.file("store-copy")
        #expect(run("/bin/cp", ["-a", vault.directory.file("vault/store"), copy]).status == 0)
        let result = try await Erasure(vault: vault.vault).erase(owner: "alice")
        #expect(result.earlierCopiesUnreadable)
        // From the copy made before: alice's key object is there, but wrapped under a master key that
        // no longer exists.
        let reopened = try vault.reopen(clock: .fixed(Self.day(1)))
        let copied = try LocalStore(root: copy)
        let keyObject = try await copied.get(ObjectNames.keyObject(owner: "alice", version: 1))
        #expect(throws: ArchiveError.self) { _ = try reopened.masterKeys.unwrap(keyObject, owner: "alice", objectName: "copy") }
        // Nothing of alice's remains in the store or the catalog; bob is untouched.
        #expect(try await reopened.store.list(prefix: ObjectNames.ownerPrefix("alice")).isEmpty)
        #expect(try await reopened.catalog.owner("alice") == nil)
        #expect(try await reopened.catalog.take(take) == nil)
        #expect(try await reopened.catalog.events().allSatisfy { $0.ownerID != "alice" && !$0.detail.contains("alice") })
        #expect(Quarantine(vault: reopened).folders(owner: "alice").isEmpty, "her quarantined upload is gone")
        #expect(Quarantine(vault: reopened).folders(owner: "bob").count == 1, "bob's is not")
        _ = try await Restore(vault: reopened).run(take: bob, artefact: .master, to: vault.directory.file("bob.flac"))
        #expect(try await Verify(vault: reopened).run(readData: true).ok)
        let tombstones = try await reopened.catalog.tombstones()
        #expect(tombstones.count == 1 && !tombstones[0].id.contains("alice"))
        #expect(try await Sweep(vault: reopened).run(asOf: Self.day(364), dryRun: false).deleted.allSatisfy { $0.kind != .tombstone })
        #expect(try await Sweep(vault: reopened).run(asOf: Self.day(366), dryRun: false).deleted.contains { $0.kind == .tombstone })
        #expect(try await reopened.catalog.tombstones().isEmpty)
    }

    @Test("key rotation: a new master key, every owner key rewrapped, every take still restores, the old key no longer needed")
    func rotation() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample).takeID
        let old = vault.vault.masterKey.id
        let result = try await KeyRotation(vault: vault.vault).run()
        #expect(result.rewrapped == 1 && result.masterKeyID != old.hex)
        #expect(!vault.directory.exists(vault.directory.file("vault/master.key.next")))
        let reopened = try vault.reopen()
        #expect(reopened.masterKey.id.hex == result.masterKeyID)
        _ = try await Restore(vault: reopened).run(take: take, artefact: .master, to: vault.directory.file("m.flac"))
        for suffix in ["", "-wal", "-shm"] { unlink(vault.directory.file("vault/catalog.sqlite" + suffix)) }
        _ = try await CatalogRebuild(vault: try vault.reopen()).run()
    }

    /// An owner's policy as the catalog records it: the owner row, tier history (without row ids)
    /// and holds.
    static func policyState(_ vault: Vault, _ owners: [String]) async throws -> [String] {
        var lines: [String] = []
        for owner in owners {
            let record = try #require(try await vault.catalog.owner(owner))
            lines.append("\(owner) tier=\(record.tier) restricted=\(record.restricted) created=\(record.createdAt)")
            for change in try await vault.catalog.tierHistory(owner: owner) { lines.append("\(owner) tier \(change.tier) at \(change.at)") }
            for hold in try await vault.catalog.holds(owner: owner) {
                lines.append("\(owner) hold \(hold.id) take=\(hold.takeID ?? "-") reason=\(hold.reason) by=\(hold.setBy) at=\(hold.setAt) lifted=\(hold.liftedAt ?? "-") by \(hold.liftedBy ?? "-")")
            }
        }
        return lines
    }

    @Test("deleting the catalog loses no policy: rebuild restores tiers and their history, restrictions and holds, and the sweep keeps what they protect")
    func rebuildRestoresPolicy() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let admin = OwnerAdministration(vault: vault.vault)
        let other = RepositoryPaths.samples + "/voice-take-48k16-mono.wav"
        let upgraded = try await vault.ingest(Self.sample, owner: "ursula", tier: .free).takeID
        try await admin.setTier(owner: "ursula", to: .studio)
        let restricted = try await vault.ingest(Self.sample, owner: "rita", tier: .free).takeID
        try await admin.restrict(owner: "rita")
        let held = try await vault.ingest(Self.sample, owner: "hank", tier: .free).takeID
        let unheld = try await vault.ingest(other, owner: "hank", tier: .free).takeID
        _ = try await admin.hold(owner: "hank", take: held, reason: "inquiry 7", by: "legal")
        let mistaken = try await admin.hold(owner: "hank", take: unheld, reason: "wrong take", by: "ops")
        #expect(try await admin.liftHolds(owner: "hank", holdID: mistaken, by: "ops") == [mistaken])
        let owners = ["hank", "rita", "ursula"]
        let before = try await Self.policyState(vault.vault, owners)

        for suffix in ["", "-wal", "-shm"] { unlink(vault.directory.file("vault/catalog.sqlite" + suffix)) }
        let reopened = try vault.reopen()
        let summary = try await CatalogRebuild(vault: reopened).run()
        #expect(summary.owners == 3 && summary.takes == 4 && summary.policies == 3)
        #expect(try await Self.policyState(reopened, owners) == before)

        let report = try await Sweep(vault: reopened).run(asOf: Self.day(400), dryRun: false)
        #expect(report.deletedTakes == [unheld], "the studio, restricted and held takes stay")
        #expect(Set(report.kept.filter { $0.kind == .take }.map(\.id)) == [restricted, held])
        #expect(try await reopened.catalog.take(upgraded) != nil)
    }

    @Test("a catalog behind the owner's policy object (a change interrupted after its object was stored) is brought in step before a sweep acts on it")
    func sweepFollowsPolicyObject() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let admin = OwnerAdministration(vault: vault.vault)
        let restricted = try await vault.ingest(Self.sample, owner: "rita", tier: .free).takeID
        try await admin.restrict(owner: "rita")
        let upgraded = try await vault.ingest(Self.sample, owner: "ursula", tier: .free).takeID
        // A tier change whose policy object was stored and nothing after it.
        let policies = OwnerPolicyStore(vault: vault.vault)
        var studio = try await policies.reconcile(owner: "ursula").nextVersion()
        studio.tier = .studio
        studio.tierHistory.append(.init(tier: .studio, at: Timestamp.string(Self.day(1))))
        try await policies.store(studio)
        // And rita's restriction undone in the catalog only.
        var rita = try #require(try await vault.vault.catalog.owner("rita"))
        rita.restricted = false
        try await vault.vault.catalog.updateOwner(rita)

        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(400), dryRun: false)
        #expect(report.deletedTakes.isEmpty)
        #expect(report.kept.map(\.id) == [restricted])
        #expect(try await vault.vault.catalog.owner("rita")?.restricted == true)
        #expect(try await vault.vault.catalog.owner("ursula")?.tier == .studio)
        let manifest = try await Inspect(vault: vault.vault).run(take: upgraded)
        #expect(manifest.header.tier == .studio && manifest.header.retainUntil == nil)
    }

    @Test("a policy object opens only under its own name: another version's or another owner's copied over it fails authentication")
    func policyObjectBoundToName() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        _ = try await vault.ingest(Self.sample, owner: "rita", tier: .free)
        _ = try await vault.ingest(Self.sample, owner: "ursula", tier: .pro)
        try await OwnerAdministration(vault: vault.vault).restrict(owner: "rita")
        let store = vault.vault.store
        let first = ObjectNames.policy(owner: "rita", version: 1), second = ObjectNames.policy(owner: "rita", version: 2)
        let ritaFirst = try await store.get(first), ursulaFirst = try await store.get(ObjectNames.policy(owner: "ursula", version: 1))
        let tags = try #require(try await store.head(second)?.tags)
        // Rolling rita back to her unrestricted version 1, under version 2's name.
        try await store.put(second, data: ritaFirst, tags: tags, createOnly: false)
        await #expect(throws: ArchiveError.authenticationFailed(object: second)) { _ = try await OwnerPolicyStore(vault: vault.vault).current(owner: "rita") }
        #expect(try await Verify(vault: vault.vault).run().failures.map(\.object) == [second])
        // Ursula's version 1 under rita's.
        try await store.put(first, data: ursulaFirst, tags: tags, createOnly: false)
        await #expect(throws: ArchiveError.authenticationFailed(object: first)) { _ = try await OwnerPolicyStore(vault: vault.vault).open(owner: "rita", version: 1) }
        // A sweep leaves an owner whose policy does not open alone.
        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(400), dryRun: false)
        #expect(report.skipped.map(\.owner) == ["rita"])
    }

    @Test("a policy rolled back by deleting its newest version is caught: verify reports it, the sweep leaves the owner alone and keeps the restriction")
    func policyRollbackCaught() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let take = try await vault.ingest(Self.sample, owner: "rita", tier: .free).takeID
        try await OwnerAdministration(vault: vault.vault).restrict(owner: "rita")
        let newest = ObjectNames.policy(owner: "rita", version: 2)
        #expect(try await vault.vault.catalog.owner("rita")?.policyVersion == 2)
        // Version 2 (restricted) deleted: version 1 (unrestricted) opens under its own name.
        try await vault.vault.store.delete(newest)
        let verified = try await Verify(vault: vault.vault).run()
        #expect(verified.failures.map(\.code) == ["policy_rollback"])
        let report = try await Sweep(vault: vault.vault).run(asOf: Self.day(400), dryRun: false)
        #expect(report.skipped.map(\.code) == ["policy_rollback"] && report.deletedTakes.isEmpty)
        #expect(try await vault.vault.catalog.owner("rita")?.restricted == true)
        #expect(try await vault.vault.catalog.take(take) != nil)
        await #expect(throws: PipelineError.policyRollback(owner: "rita", stored: 1, recorded: 2)) {
            try await OwnerAdministration(vault: vault.vault).restrict(owner: "rita", lift: true)
        }
    }

    @Test("export holds every field of every manifest, deterministically, with audio beside it")
    func export() async throws {
        let vault = try TestVault(clock: .fixed(Self.start))
        let metadata = try TakeMetadata.parse(#"{"session_id":"s9","participants":[{"id":"bob","role":"engineer"}],"daw_transport":{"tempo":128}}"#)
        let take = try await vault.ingest(Self.sample, metadata: metadata).takeID
        _ = try await OwnerAdministration(vault: vault.vault).hold(owner: "alice", take: take, reason: "audit", by: "ops")
        let first = try await Export(vault: vault.vault).run(owner: "alice", to: vault.directory.file("e1"), withAudio: true)
        _ = try await Export(vault: vault.vault).run(owner: "alice", to: vault.directory.file("e2"), withAudio: true)
        #expect(readBytes(vault.directory.file("e1/export.json")) == readBytes(vault.directory.file("e2/export.json")))
        let manifest = try await Inspect(vault: vault.vault).run(take: take)
        #expect(first.takes == [manifest.body])
        let exported = try JSONDecoder().decode(JSONValue.self, from: Data(readBytes(vault.directory.file("e1/export.json"))))
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(try ManifestSealer.canonicalJSON(manifest.body)))
        guard case .array(let takes)? = exported["takes"] else { Issue.record("no takes"); return }
        #expect(takes.first == body)   // every field, as stored
        #expect(exported["holds"].map { if case .array(let holds) = $0 { return holds.count } else { return 0 } } == 1)
        #expect(try flacSamples(vault.directory.file("e1/" + first.audio[take]!)) == integerSamples(Self.sample))
    }
}

extension Sweep.Report {
    /// Ids of the takes deleted (other kinds — records, orphans — left out).
    var deletedTakes: [String] { deleted.filter { $0.kind == .take }.map(\.id) }
}

#if canImport(Glibc)
import Glibc
#endif

/// Data residency: every object carries the store's region, and a store outside the allowed
/// regions is refused before anything is written.
@Suite("Residency")
struct ResidencyTests {
    @Test("every object is tagged with the store's region (the policy's eu-west-1 by default)")
    func tagged() async throws {
        let vault = try TestVault()
        _ = try await vault.ingest(RetentionTests.sample)
        let objects = try await vault.vault.store.list(prefix: "v1/")
        #expect(!objects.isEmpty)
        for object in objects {
            #expect(try await vault.vault.store.head(object.name)?.tags.region == "eu-west-1", "\(object.name)")
        }
    }

    @Test("a store configured outside the allowed regions is refused")
    func refused() throws {
        let vault = try TestVault()
        let config = vault.directory.file("vault/config.json")
        let text = String(decoding: readBytes(config), as: UTF8.self).replacingOccurrences(of: "\"region\" : \"eu-west-1\"", with: "\"region\" : \"us-east-1\"")
        #expect(text.contains("us-east-1"))
        writeBytes(config, Array(text.utf8))
        #expect(throws: PipelineError.regionNotAllowed(region: "us-east-1", allowed: ["eu-west-1"])) { _ = try vault.reopen() }
    }
}
