import TakeCatalog
import TakevaultCore
import Testing

/// Copying a catalog (`takevault catalog migrate`): every row of every table, from each
/// implementation into each, into empty catalogs only.
@Suite("Catalog snapshots")
struct CatalogSnapshotTests {
    typealias Rows = CatalogConformanceTests

    /// A catalog with a row in every table, and the odd values: nulls, a blob with every byte,
    /// non-ASCII names, an erased owner's tombstone.
    static func fill(_ catalog: any Catalog) async throws {
        for owner in ["alice", "bob"] {
            try await catalog.ensureOwner(Rows.owner(owner, tier: owner == "bob" ? .studio : .pro))
            try await catalog.insertOwnerKey(OwnerKeyRecord(ownerID: owner, version: 1, wrapped: (0...255).map { UInt8($0) }, masterKeyID: "m1",
                                                            createdAt: "2026-11-01T00:00:00Z"))
            try await catalog.insertOwnerKey(OwnerKeyRecord(ownerID: owner, version: 2, wrapped: [9, 9], masterKeyID: "m2", createdAt: "2026-11-02T00:00:00Z"))
            for index in 0..<3 {
                let id = "\(owner)-t\(index)"
                var take = Rows.take(id, owner: owner, session: index == 0 ? nil : "s1", ingested: "2026-11-0\(index + 1)T10:00:00Z",
                                     retainUntil: owner == "bob" ? nil : "2026-12-0\(index + 1)T10:00:00Z")
                take.originalName = "Tåke \(index) — ☃.wav"
                take.integratedLUFS = index == 2 ? nil : -23.25
                try await catalog.recordTake(take, objects: Rows.objects(of: id, ["m-\(id)", "c-shared-\(owner)", "c-\(id)"], size: Int64(100 + index)),
                                             event: EventRecord(at: "2026-11-0\(index + 1)T10:00:01Z", kind: "ingest", ownerID: owner, takeID: id, detail: "{}"))
            }
            try await catalog.insertHold(HoldRecord(id: "h-\(owner)", ownerID: owner, takeID: "\(owner)-t1", reason: "legal", setBy: "op",
                                                    setAt: "2026-11-03T00:00:00Z"))
            try await catalog.appendTierChange(TierChangeRecord(ownerID: owner, tier: .free, at: "2026-11-01T00:00:00Z"))
            try await catalog.appendTierChange(TierChangeRecord(ownerID: owner, tier: .pro, at: "2026-11-02T00:00:00Z"))
        }
        var lifted = HoldRecord(id: "h-old", ownerID: "alice", takeID: nil, reason: "inquiry", setBy: "op", setAt: "2026-11-01T00:00:00Z")
        lifted.liftedAt = "2026-11-02T00:00:00Z"
        lifted.liftedBy = "op2"
        try await catalog.insertHold(lifted)
        var restricted = Rows.owner("carol")
        restricted.restricted = true
        restricted.policyVersion = 3
        try await catalog.ensureOwner(restricted)
        for (index, state) in JobState.allCases.enumerated() {
            var job = JobRecord(id: "j\(index)", kind: "relay_upload", state: state, ownerID: "alice", takeID: state == .done ? "alice-t0" : nil,
                                createdAt: "2026-11-01T00:00:0\(index)Z", updatedAt: "2026-11-01T01:00:00Z", detail: "{\"n\":\(index)}",
                                relayKeyID: "r1", idempotencyKey: "key-\(index)", uploadSHA256: "ab", attempts: index,
                                callbackState: state.isFinal ? .pending : nil)
            job.notBefore = state == .queued ? "2026-11-01T02:00:00Z" : nil
            _ = try await catalog.insertJob(job)
        }
        _ = try await catalog.recordNonce(keyID: "r1", nonce: "n1", expiresAt: "2026-11-30T10:05:00Z", now: "2026-11-30T10:00:00Z")
        try await catalog.insertTombstone(TombstoneRecord(id: "tomb-1", at: "2026-11-20T00:00:00Z"))
        _ = try await catalog.adoptMasterKey("00112233aabbccdd", at: "2026-11-01T00:00:00Z")
        try await catalog.recordMasterKey(current: "8899aabbccddeeff", at: "2026-11-21T00:00:00Z")
        try await catalog.append(EventRecord(at: "2026-11-20T00:00:00Z", kind: "erase_owner", ownerID: nil, takeID: nil, detail: "{}"))
    }

    @Test("a snapshot loaded into an empty catalog of either implementation reads back row for row", arguments: CatalogImplementation.all)
    func roundTrip(_ source: CatalogImplementation) async throws {
        let from = try await CatalogFixture(source)
        defer { from.end() }
        try await Self.fill(from.catalog)
        let snapshot = try await from.catalog.snapshot()
        #expect(snapshot.owners.count == 3 && snapshot.takes.count == 6 && snapshot.objects.count == 18 && snapshot.jobs.count == JobState.allCases.count)
        #expect(snapshot.nonces == [RelayNonce(keyID: "r1", nonce: "n1", expiresAt: "2026-11-30T10:05:00Z")])
        for target in CatalogImplementation.all {
            let to = try await CatalogFixture(target)
            defer { to.end() }
            try await to.catalog.load(snapshot)
            let copied = try await to.catalog.snapshot()
            #expect(copied.normalised == snapshot.normalised, "\(source) → \(target)")
            #expect(copied.events.map(\.kind) == snapshot.events.map(\.kind), "events keep their order")
            // What the copy is used for answers as the original does.
            #expect(try await to.catalog.expiredTakes(at: "2026-12-31T00:00:00Z") == (try await from.catalog.expiredTakes(at: "2026-12-31T00:00:00Z")))
            #expect(try await to.catalog.job(relayKeyID: "r1", idempotencyKey: "key-3") == (try await from.catalog.job(relayKeyID: "r1", idempotencyKey: "key-3")))
            #expect(try await !to.catalog.recordNonce(keyID: "r1", nonce: "n1", expiresAt: "2026-11-30T10:05:00Z", now: "2026-11-30T10:01:00Z"),
                    "a nonce seen before the copy is still a replay after it")
        }
    }

    @Test("a snapshot is never loaded into a catalog that holds any row", arguments: CatalogImplementation.all)
    func refusesNonEmptyTarget(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation)
        defer { fixture.end() }
        try await fixture.catalog.append(EventRecord(at: "2026-11-01T00:00:00Z", kind: "x", ownerID: nil, takeID: nil, detail: "{}"))
        var snapshot = CatalogSnapshot()
        snapshot.owners = [Rows.owner("alice")]
        await #expect(throws: CatalogSnapshotError.targetNotEmpty(rows: 1)) { try await fixture.catalog.load(snapshot) }
        #expect(try await fixture.catalog.owners().isEmpty, "nothing of the refused snapshot went in")
    }
}
