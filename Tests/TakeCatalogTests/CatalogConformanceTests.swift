import TakeCatalog
import TakevaultCore
import Testing

/// The catalog contract (the `Catalog` protocol), checked call by call against every
/// implementation: owners and keys, takes and their objects, sessions, events, holds,
/// restriction, tier history, deletion, erasure and tombstones, retention queries and the record
/// sweep. With the job queue's tests (JobQueueTests) this is the conformance suite.
@Suite("Catalog conformance")
struct CatalogConformanceTests {
    static func take(_ id: String, owner: String, session: String? = nil, ingested: String, retainUntil: String? = nil,
                     generation: Int = 1) -> TakeRecord {
        TakeRecord(id: id, ownerID: owner, sessionID: session, tier: .pro, originalName: "\(id).wav", uploadSHA256: String(repeating: "0", count: 64),
                   uploadBytes: 1_000, recordedAt: nil, ingestedAt: ingested, retainUntil: retainUntil, generation: generation,
                   manifestName: "v1/owners/\(owner)/takes/\(id)/manifest-\(generation)", durationS: 12.5, integratedLUFS: -23, storedBytes: 900)
    }

    static func objects(of take: String, _ names: [String], size: Int64 = 100) -> [TakeObjectRecord] {
        names.map { TakeObjectRecord(takeID: take, objectName: $0, kind: $0.hasPrefix("m") ? .manifest : .chunk, size: size) }
    }

    static func owner(_ id: String, tier: Tier = .pro) -> OwnerRecord {
        OwnerRecord(id: id, tier: tier, createdAt: "2026-11-01T00:00:00Z")
    }

    @Test("owners: ensured once (the stored row wins), updated, listed by id; erased owners stay listed with their erasure time",
          arguments: CatalogImplementation.all)
    func owners(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        #expect(try await catalog.owner("bob") == nil)
        #expect(try await catalog.ensureOwner(Self.owner("bob")) == Self.owner("bob"))
        #expect(try await catalog.ensureOwner(Self.owner("bob", tier: .free)).tier == .pro, "an existing owner is returned as stored")
        try await catalog.ensureOwner(Self.owner("alice", tier: .studio))
        var bob = try #require(try await catalog.owner("bob"))
        bob.restricted = true
        bob.policyVersion = 3
        bob.erasedAt = "2026-11-30T00:00:00Z"
        try await catalog.updateOwner(bob)
        #expect(try await catalog.owner("bob") == bob)
        #expect(try await catalog.owners().map(\.id) == ["alice", "bob"])
    }

    @Test("owner keys: one row per version (a second insert keeps the first), replaced when rewrapped, listed by version, deleted together",
          arguments: CatalogImplementation.all)
    func ownerKeys(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        try await catalog.ensureOwner(Self.owner("bob"))
        let second = OwnerKeyRecord(ownerID: "bob", version: 2, wrapped: [2, 2], masterKeyID: "m1", createdAt: "2026-11-02T00:00:00Z")
        let first = OwnerKeyRecord(ownerID: "bob", version: 1, wrapped: [1, 1, 1], masterKeyID: "m1", createdAt: "2026-11-01T00:00:00Z")
        try await catalog.insertOwnerKey(second)
        try await catalog.insertOwnerKey(first)
        try await catalog.insertOwnerKey(OwnerKeyRecord(ownerID: "bob", version: 1, wrapped: [9], masterKeyID: "m9", createdAt: "2026-11-03T00:00:00Z"))
        #expect(try await catalog.ownerKeys("bob") == [first, second])
        let rewrapped = OwnerKeyRecord(ownerID: "bob", version: 1, wrapped: [7, 7, 7, 7], masterKeyID: "m2", createdAt: first.createdAt)
        try await catalog.replaceOwnerKey(rewrapped)
        #expect(try await catalog.ownerKeys("bob") == [rewrapped, second])
        // Every byte value survives the round trip (wrapped keys are binary).
        let binary = OwnerKeyRecord(ownerID: "bob", version: 3, wrapped: (0...255).map(UInt8.init), masterKeyID: "m2", createdAt: first.createdAt)
        try await catalog.insertOwnerKey(binary)
        #expect(try await catalog.ownerKeys("bob").last == binary)
        try await catalog.deleteOwnerKeys("bob")
        #expect(try await catalog.ownerKeys("bob").isEmpty)
    }

    @Test("takes: recorded with their objects in one call, a later generation replaces the row and the object list; listed newest first; updated",
          arguments: CatalogImplementation.all)
    func takesAndObjects(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for owner in ["alice", "bob"] { try await catalog.ensureOwner(Self.owner(owner)) }
        let one = Self.take("t1", owner: "alice", ingested: "2026-11-01T10:00:00Z")
        try await catalog.recordTake(one, objects: Self.objects(of: "t1", ["m-t1-1", "c-a", "c-b"]),
                                     event: EventRecord(at: "2026-11-01T10:00:00Z", kind: "ingest", ownerID: "alice", takeID: "t1", detail: "{}"))
        try await catalog.recordTake(Self.take("t2", owner: "alice", ingested: "2026-11-02T10:00:00Z"), objects: Self.objects(of: "t2", ["m-t2-1", "c-b"]))
        try await catalog.recordTake(Self.take("t3", owner: "bob", ingested: "2026-11-03T10:00:00Z"), objects: Self.objects(of: "t3", ["m-t3-1", "c-z"]))
        #expect(try await catalog.take("t1") == one)
        #expect(try await catalog.take("nope") == nil)
        #expect(try await catalog.takes().map(\.id) == ["t3", "t2", "t1"])
        #expect(try await catalog.takes(owner: "alice").map(\.id) == ["t2", "t1"])
        #expect(try await catalog.events(owner: "alice").map(\.kind) == ["ingest"], "the event came with the take")
        #expect(Set(try await catalog.objects(ofTake: "t1").map(\.objectName)) == ["m-t1-1", "c-a", "c-b"])
        #expect(try await catalog.referencedObjectNames(owner: "alice") == ["m-t1-1", "c-a", "c-b", "m-t2-1"])
        #expect(try await catalog.referencedObjectNames() == ["m-t1-1", "c-a", "c-b", "m-t2-1", "m-t3-1", "c-z"])

        // Generation 2 of t1 references other objects: the old list goes with the old row.
        let newer = Self.take("t1", owner: "alice", ingested: "2026-11-01T10:00:00Z", generation: 2)
        try await catalog.recordTake(newer, objects: Self.objects(of: "t1", ["m-t1-2", "c-c"], size: 250))
        #expect(try await catalog.take("t1")?.generation == 2)
        #expect(Set(try await catalog.objects(ofTake: "t1").map(\.objectName)) == ["m-t1-2", "c-c"])
        #expect(try await catalog.referencedObjectNames(owner: "alice") == ["m-t1-2", "c-c", "c-b", "m-t2-1"])

        var redated = newer
        redated.retainUntil = "2026-12-01T10:00:00Z"
        redated.sessionID = "s1"
        try await catalog.updateTake(redated)
        #expect(try await catalog.take("t1") == redated)
    }

    @Test("a session's takes page by ingest time then id, ties included, and only the owner's", arguments: CatalogImplementation.all)
    func sessionPages(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for owner in ["alice", "bob"] { try await catalog.ensureOwner(Self.owner(owner)) }
        let times = ["2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z", "2026-11-01T09:00:00Z", "2026-11-02T10:00:00Z", "2026-11-01T10:00:00Z"]
        for (index, time) in times.enumerated() {
            try await catalog.recordTake(Self.take("t\(index)", owner: "alice", session: "s1", ingested: time), objects: [])
        }
        try await catalog.recordTake(Self.take("other-session", owner: "alice", session: "s2", ingested: times[0]), objects: [])
        try await catalog.recordTake(Self.take("other-owner", owner: "bob", session: "s1", ingested: times[0]), objects: [])
        var pages: [[String]] = []
        var after: (ingestedAt: String, takeID: String)?
        while true {
            let page = try await catalog.sessionTakes(owner: "alice", session: "s1", after: after, limit: 2)
            if page.isEmpty { break }
            pages.append(page.map(\.id))
            after = page.last.map { ($0.ingestedAt, $0.id) }
        }
        #expect(pages == [["t2", "t0"], ["t1", "t4"], ["t3"]])
    }

    @Test("events: newest first, limited, by owner; which takes' latest event of some kinds is one of others", arguments: CatalogImplementation.all)
    func events(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        let script: [(String, String?, String?)] = [
            ("ingest", "alice", "t1"), ("ingest", "alice", "t2"), ("delete_take", "alice", "t1"), ("amend", "alice", "t2"),
            ("ingest", "alice", "t3"), ("delete_take", "alice", "t3"), ("ingest", "alice", "t3"), ("ingest", "bob", "t9"),
            ("delete_take", "bob", "t9"), ("rotate", nil, nil),
        ]
        for (index, (kind, owner, take)) in script.enumerated() {
            try await catalog.append(EventRecord(at: "2026-11-01T10:00:0\(index)Z", kind: kind, ownerID: owner, takeID: take, detail: "{\"n\":\(index)}"))
        }
        let all = try await catalog.events()
        #expect(all.map(\.kind) == script.reversed().map(\.0))
        #expect(all.first?.detail == "{\"n\":9}")
        #expect(try await catalog.events(owner: nil, limit: 3).map(\.kind) == ["rotate", "delete_take", "ingest"])
        #expect(try await catalog.events(owner: "alice").count == 7)
        // t1 deleted after its ingest; t3 deleted and then ingested again; t2 never deleted; bob's is bob's.
        #expect(try await catalog.takes(owner: "alice", whoseLatestOf: ["ingest", "delete_take"], isOneOf: ["delete_take"]) == ["t1"])
        #expect(try await catalog.takes(owner: "alice", whoseLatestOf: ["ingest", "delete_take"], isOneOf: ["ingest"]) == ["t2", "t3"])
    }

    @Test("holds: active until lifted, by owner or everyone's; saved holds replace their row", arguments: CatalogImplementation.all)
    func holds(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for owner in ["alice", "bob"] { try await catalog.ensureOwner(Self.owner(owner)) }
        let ownerHold = HoldRecord(id: "h1", ownerID: "alice", takeID: nil, reason: "legal", setBy: "op", setAt: "2026-11-01T00:00:00Z")
        let takeHold = HoldRecord(id: "h2", ownerID: "alice", takeID: "t1", reason: "dispute", setBy: "op", setAt: "2026-11-02T00:00:00Z")
        let bobHold = HoldRecord(id: "h3", ownerID: "bob", takeID: nil, reason: "legal", setBy: "op", setAt: "2026-11-03T00:00:00Z")
        for hold in [ownerHold, takeHold, bobHold] { try await catalog.insertHold(hold) }
        #expect(Set(try await catalog.activeHolds().map(\.id)) == ["h1", "h2", "h3"])
        #expect(Set(try await catalog.activeHolds(owner: "alice").map(\.id)) == ["h1", "h2"])
        var lifted = takeHold
        lifted.liftedAt = "2026-11-04T00:00:00Z"
        lifted.liftedBy = "op2"
        try await catalog.updateHold(lifted)
        #expect(try await catalog.activeHolds(owner: "alice").map(\.id) == ["h1"])
        #expect(try await catalog.holds(owner: "alice").sorted { $0.id < $1.id } == [ownerHold, lifted], "a lifted hold is still on record")
        var changed = ownerHold
        changed.reason = "investigation"
        try await catalog.saveHold(changed)
        try await catalog.saveHold(HoldRecord(id: "h4", ownerID: "bob", takeID: "t7", reason: "legal", setBy: "op", setAt: "2026-11-05T00:00:00Z"))
        #expect(try await catalog.holds(owner: "alice").first { $0.id == "h1" }?.reason == "investigation")
        #expect(Set(try await catalog.activeHolds(owner: "bob").map(\.id)) == ["h3", "h4"])
    }

    @Test("master keys: the first adopted becomes current and every later adopter is told it; a rotation makes the next current, the old retiring, then retired",
          arguments: CatalogImplementation.all)
    func masterKeys(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        #expect(try await catalog.masterKeys().isEmpty)
        // Nodes adopting at once agree on one key.
        let adopted = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<6 { group.addTask { try await catalog.adoptMasterKey("key-\(index % 2)", at: "2026-11-01T00:00:00Z") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(adopted.count == 1, "\(adopted)")
        let first = try #require(adopted.first)
        #expect(try await catalog.masterKeys() == [MasterKeyRecord(keyID: first, state: .current, since: "2026-11-01T00:00:00Z")])

        try await catalog.recordMasterKey(current: "key-next", at: "2026-11-02T00:00:00Z")
        try await catalog.recordMasterKey(current: "key-next", at: "2026-11-03T00:00:00Z")    // a resumed rotation changes nothing
        #expect(try await catalog.adoptMasterKey("key-other", at: "2026-11-03T00:00:00Z") == "key-next")
        #expect(try await catalog.masterKeys() == [MasterKeyRecord(keyID: first, state: .retiring, since: "2026-11-02T00:00:00Z"),
                                                   MasterKeyRecord(keyID: "key-next", state: .current, since: "2026-11-02T00:00:00Z")])
        try await catalog.retireMasterKeys(at: "2026-11-04T00:00:00Z")
        #expect(try await catalog.masterKeys().map(\.state) == [.current, .retired], "ordered by since: the current one, then the retired")
        #expect(try await catalog.masterKeys().filter { $0.state == .current }.map(\.keyID) == ["key-next"])
    }

    @Test("tier history: appended, read in time order, replaced whole", arguments: CatalogImplementation.all)
    func tierHistory(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        try await catalog.ensureOwner(Self.owner("alice"))
        try await catalog.appendTierChange(TierChangeRecord(ownerID: "alice", tier: .pro, at: "2026-11-05T00:00:00Z"))
        try await catalog.appendTierChange(TierChangeRecord(ownerID: "alice", tier: .free, at: "2026-11-01T00:00:00Z"))
        try await catalog.appendTierChange(TierChangeRecord(ownerID: "alice", tier: .studio, at: "2026-11-05T00:00:00Z"))
        #expect(try await catalog.tierHistory(owner: "alice").map(\.tier) == [.free, .pro, .studio], "by time, then as recorded")
        try await catalog.replaceTierHistory(owner: "alice", with: [TierChangeRecord(ownerID: "alice", tier: .studio, at: "2026-10-01T00:00:00Z")])
        #expect(try await catalog.tierHistory(owner: "alice").map(\.tier) == [.studio])
        #expect(try await catalog.tierHistory(owner: "nobody").isEmpty)
    }

    @Test("deleting a take forgets its row, its objects and the finished job that made it, and records the event in the same call",
          arguments: CatalogImplementation.all)
    func deleteTake(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        try await catalog.ensureOwner(Self.owner("alice"))
        try await catalog.recordTake(Self.take("t1", owner: "alice", ingested: "2026-11-01T10:00:00Z"), objects: Self.objects(of: "t1", ["m1", "c1"]))
        try await catalog.recordTake(Self.take("t2", owner: "alice", ingested: "2026-11-01T11:00:00Z"), objects: Self.objects(of: "t2", ["m2", "c1"]))
        var made = JobRecord(id: "j1", kind: "relay-upload", state: .done, ownerID: "alice", takeID: "t1", createdAt: "2026-11-01T10:00:00Z",
                             updatedAt: "2026-11-01T10:00:05Z", detail: "{}", relayKeyID: "r1", idempotencyKey: "k1")
        _ = try await catalog.insertJob(made)
        made.id = "j2"
        made.idempotencyKey = "k2"
        made.takeID = "t2"
        _ = try await catalog.insertJob(made)
        try await catalog.deleteTake("t1", event: EventRecord(at: "2026-11-02T00:00:00Z", kind: "delete_take", ownerID: "alice", takeID: "t1", detail: "{}"))
        #expect(try await catalog.take("t1") == nil)
        #expect(try await catalog.objects(ofTake: "t1").isEmpty)
        #expect(try await catalog.referencedObjectNames(owner: "alice") == ["m2", "c1"])
        #expect(try await catalog.job("j1") == nil, "a retry of the upload makes the take anew")
        #expect(try await catalog.job("j2") != nil)
        #expect(try await catalog.events(owner: "alice").map(\.kind) == ["delete_take"])
    }

    @Test("erasure leaves only the tombstone: the owner's rows go, their events lose owner, take and detail; others are untouched",
          arguments: CatalogImplementation.all)
    func erasure(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for owner in ["alice", "bob"] {
            try await catalog.ensureOwner(Self.owner(owner))
            try await catalog.insertOwnerKey(OwnerKeyRecord(ownerID: owner, version: 1, wrapped: [1], masterKeyID: "m", createdAt: "2026-11-01T00:00:00Z"))
            try await catalog.recordTake(Self.take("\(owner)-t", owner: owner, ingested: "2026-11-01T10:00:00Z"),
                                         objects: Self.objects(of: "\(owner)-t", ["m-\(owner)", "c-\(owner)"]))
            try await catalog.insertHold(HoldRecord(id: "h-\(owner)", ownerID: owner, takeID: nil, reason: "legal", setBy: "op", setAt: "2026-11-01T00:00:00Z"))
            try await catalog.appendTierChange(TierChangeRecord(ownerID: owner, tier: .pro, at: "2026-11-01T00:00:00Z"))
            _ = try await catalog.insertJob(JobRecord(id: "j-\(owner)", kind: "relay-upload", state: .queued, ownerID: owner, takeID: nil,
                                                      createdAt: "2026-11-01T00:00:00Z", updatedAt: "2026-11-01T00:00:00Z", detail: "{\"name\":\"x\"}"))
            try await catalog.append(EventRecord(at: "2026-11-01T10:00:00Z", kind: "ingest", ownerID: owner, takeID: "\(owner)-t", detail: "{\"name\":\"x\"}"))
        }
        let tombstone = TombstoneRecord(id: "tomb-1", at: "2026-11-30T00:00:00Z")
        try await catalog.eraseOwner("alice", tombstone: tombstone)
        #expect(try await catalog.owner("alice") == nil)
        #expect(try await catalog.ownerKeys("alice").isEmpty)
        #expect(try await catalog.takes(owner: "alice").isEmpty)
        #expect(try await catalog.holds(owner: "alice").isEmpty)
        #expect(try await catalog.tierHistory(owner: "alice").isEmpty)
        #expect(try await catalog.job("j-alice") == nil)
        #expect(try await catalog.jobIDs(owner: "alice").isEmpty)
        #expect(try await catalog.referencedObjectNames() == ["m-bob", "c-bob"])
        let events = try await catalog.events()
        #expect(events.count == 2)
        #expect(!events.contains { $0.ownerID == "alice" || $0.takeID == "alice-t" })
        #expect(events.filter { $0.ownerID == nil }.count == 1)
        #expect(events.filter { $0.ownerID == nil }.allSatisfy { $0.takeID == nil && $0.detail == "{}" })
        #expect(try await catalog.tombstones() == [tombstone])
        #expect(try await catalog.owner("bob") != nil)
        #expect(try await catalog.holds(owner: "bob").count == 1)
        #expect(try await catalog.job("j-bob") != nil)
        try await catalog.deleteTombstone("tomb-1")
        #expect(try await catalog.tombstones().isEmpty)
    }

    @Test("retention: expired takes in retain-until order with the owner's restriction and the sealed bytes; untimed takes never expire",
          arguments: CatalogImplementation.all)
    func retention(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        try await catalog.ensureOwner(Self.owner("alice"))
        var restricted = Self.owner("bob")
        restricted.restricted = true
        try await catalog.ensureOwner(restricted)
        try await catalog.recordTake(Self.take("late", owner: "alice", ingested: "2026-11-01T00:00:00Z", retainUntil: "2026-11-20T00:00:00Z"),
                                     objects: Self.objects(of: "late", ["m1", "c1"], size: 300))
        try await catalog.recordTake(Self.take("early", owner: "bob", ingested: "2026-11-01T00:00:00Z", retainUntil: "2026-11-08T00:00:00Z"),
                                     objects: Self.objects(of: "early", ["m2"], size: 40))
        try await catalog.recordTake(Self.take("studio", owner: "alice", ingested: "2026-11-01T00:00:00Z", retainUntil: nil), objects: [])
        try await catalog.recordTake(Self.take("future", owner: "alice", ingested: "2026-11-01T00:00:00Z", retainUntil: "2027-01-01T00:00:00Z"), objects: [])
        let now = "2026-11-30T00:00:00Z"
        #expect(try await catalog.takes(expiredBy: now).map(\.id) == ["early", "late"])
        #expect(try await catalog.takes(expiredBy: "2026-11-20T00:00:00Z").map(\.id) == ["early", "late"], "at the instant itself")
        let expired = try await catalog.expiredTakes(at: now)
        #expect(expired.map(\.id) == ["early", "late"])
        #expect(expired.map(\.ownerRestricted) == [true, false])
        #expect(expired.map(\.bytes) == [40, 600])
        #expect(try await catalog.expiredTakes(at: now, owner: "alice").map(\.id) == ["late"])
    }

    @Test("the record sweep counts and deletes old events and finished jobs, keeping the jobs it is told to and everything younger",
          arguments: CatalogImplementation.all)
    func recordSweep(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for (index, at) in ["2026-10-01T00:00:00Z", "2026-10-15T00:00:00Z", "2026-11-20T00:00:00Z"].enumerated() {
            try await catalog.append(EventRecord(at: at, kind: "ingest", ownerID: nil, takeID: nil, detail: "{}"))
            for state in [JobState.done, .failed, .queued] {
                _ = try await catalog.insertJob(JobRecord(id: "j\(index)-\(state.rawValue)", kind: "relay-upload", state: state, ownerID: nil, takeID: nil,
                                                          createdAt: at, updatedAt: at, detail: "{}"))
            }
        }
        let cutoff = "2026-11-01T00:00:00Z"
        // Old: two events, four finished jobs (two done, two failed); the queued ones are not finished.
        #expect(try await catalog.countRecords(before: cutoff) == 6)
        #expect(try await catalog.countRecords(before: cutoff, keepingJobs: ["j0-failed"]) == 5)
        #expect(try await catalog.deleteRecords(before: cutoff, keepingJobs: ["j0-failed"]) == 5)
        #expect(try await catalog.countRecords(before: cutoff) == 1)
        for kept in ["j0-failed", "j0-queued", "j2-done"] { #expect(try await catalog.job(kept) != nil, "\(kept)") }
        #expect(try await catalog.events().count == 1)
    }

    @Test("clearing the index empties owners, keys, takes and objects and keeps history: events and jobs", arguments: CatalogImplementation.all)
    func clearIndex(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        try await catalog.ensureOwner(Self.owner("alice"))
        try await catalog.insertOwnerKey(OwnerKeyRecord(ownerID: "alice", version: 1, wrapped: [1], masterKeyID: "m", createdAt: "2026-11-01T00:00:00Z"))
        try await catalog.recordTake(Self.take("t1", owner: "alice", ingested: "2026-11-01T10:00:00Z"), objects: Self.objects(of: "t1", ["m1"]))
        try await catalog.append(EventRecord(at: "2026-11-01T10:00:00Z", kind: "ingest", ownerID: "alice", takeID: "t1", detail: "{}"))
        _ = try await catalog.insertJob(JobRecord(id: "j1", kind: "relay-upload", state: .done, ownerID: "alice", takeID: "t1",
                                                  createdAt: "2026-11-01T10:00:00Z", updatedAt: "2026-11-01T10:00:00Z", detail: "{}"))
        try await catalog.clearIndex()
        #expect(try await catalog.owners().isEmpty)
        #expect(try await catalog.takes().isEmpty)
        #expect(try await catalog.referencedObjectNames().isEmpty)
        #expect(try await catalog.ownerKeys("alice").isEmpty)
        #expect(try await catalog.events().count == 1)
        #expect(try await catalog.job("j1") != nil)
        try await catalog.ping()
    }
}
