import Foundation
import TakeCatalog
import TakevaultCore
import Testing
import TestSupport

/// The relay's job queue and nonces on every catalog implementation, without the relay: claims,
/// idempotency, requeue after a crash, replay detection, and several connections (several
/// processes' worth) claiming from one catalog at once. Part of the conformance suite.
@Suite("Job queue and nonces")
struct JobQueueTests {
    static let kind = "relay-upload"

    static func job(_ id: String, at created: String, relay: String? = "r1", key: String? = nil) -> JobRecord {
        JobRecord(id: id, kind: kind, state: .queued, ownerID: "u1", takeID: nil, createdAt: created, updatedAt: created, detail: "{}",
                  relayKeyID: relay, idempotencyKey: key ?? id)
    }

    @Test("an idempotency key names one job per relay: a retry gets the stored job back, another relay's same key is its own job", arguments: CatalogImplementation.all)
    func idempotency(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        let first = Self.job("j1", at: "2026-11-30T10:00:00Z", key: "k")
        #expect(try await catalog.insertJob(first) == .inserted(first))
        let retry = Self.job("j2", at: "2026-11-30T10:00:05Z", key: "k")
        #expect(try await catalog.insertJob(retry) == .existing(first))
        let otherRelay = Self.job("j3", at: "2026-11-30T10:00:06Z", relay: "r2", key: "k")
        #expect(try await catalog.insertJob(otherRelay) == .inserted(otherRelay))
        #expect(try await catalog.job("j2") == nil)
        #expect(try await catalog.job(relayKeyID: "r2", idempotencyKey: "k")?.id == "j3")
    }

    @Test("claims take the oldest queued job, count the attempt, and end when the queue is empty", arguments: CatalogImplementation.all)
    func claimOrder(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for (id, created) in [("b", "2026-11-30T10:00:02Z"), ("a", "2026-11-30T10:00:01Z"), ("c", "2026-11-30T10:00:02Z")] {
            _ = try await catalog.insertJob(Self.job(id, at: created))
        }
        let now = "2026-11-30T11:00:00Z"
        var claimed: [JobRecord] = []
        for _ in 0..<3 { claimed.append(try #require(try await catalog.claimQueuedJob(kind: Self.kind, at: now))) }
        #expect(claimed.map(\.id) == ["a", "b", "c"])   // by creation time, then id
        #expect(claimed.allSatisfy { $0.state == .processing && $0.attempts == 1 && $0.updatedAt == now })
        #expect(try await catalog.claimQueuedJob(kind: Self.kind, at: now) == nil)
        #expect(try await catalog.claimQueuedJob(kind: "another-kind", at: now) == nil)
        #expect(try await catalog.jobCounts(kind: Self.kind) == [.processing: 3])
    }

    @Test("after a crash, processing jobs go back to the queue; finished jobs stay finished; a second claim counts a second attempt", arguments: CatalogImplementation.all)
    func requeue(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for id in ["a", "b", "c"] { _ = try await catalog.insertJob(Self.job(id, at: "2026-11-30T10:00:0\(id == "a" ? 1 : id == "b" ? 2 : 3)Z")) }
        var done = try #require(try await catalog.claimQueuedJob(kind: Self.kind, at: "2026-11-30T10:01:00Z"))
        done.state = .done
        done.callbackState = .pending
        try await catalog.updateJob(done)
        _ = try await catalog.claimQueuedJob(kind: Self.kind, at: "2026-11-30T10:02:00Z")
        #expect(try await catalog.jobCounts(kind: Self.kind) == [.done: 1, .processing: 1, .queued: 1])

        #expect(try await catalog.requeueProcessingJobs(kind: Self.kind, at: "2026-11-30T10:03:00Z") == 1)
        #expect(try await catalog.jobCounts(kind: Self.kind) == [.done: 1, .queued: 2])
        let again = try #require(try await catalog.claimQueuedJob(kind: Self.kind, at: "2026-11-30T10:04:00Z"))
        #expect(again.id == "b" && again.attempts == 2)
        #expect(try await catalog.jobsAwaitingCallback(kind: Self.kind).map(\.id) == ["a"])
    }

    @Test("four connections claiming from one catalog at once never hand out the same job", arguments: CatalogImplementation.all)
    func concurrentClaims(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), setup = fixture.catalog
        defer { fixture.end() }
        let count = 200
        for index in 0..<count { _ = try await setup.insertJob(Self.job(String(format: "job-%04d", index), at: "2026-11-30T10:00:00Z")) }
        var workers: [any Catalog] = []
        for _ in 0..<4 { workers.append(try await fixture.openAgain()) }
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for catalog in workers {
                group.addTask {
                    var mine: [String] = []
                    while let job = try await catalog.claimQueuedJob(kind: Self.kind, at: "2026-11-30T10:01:00Z") { mine.append(job.id) }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claims.count == count)
        #expect(Set(claims).count == count, "a job was claimed twice")
        #expect(try await setup.jobCounts(kind: Self.kind) == [.processing: count])
    }

    @Test("a nonce is accepted once per relay until it expires; expired nonces are forgotten", arguments: CatalogImplementation.all)
    func nonces(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        let now = "2026-11-30T10:00:00Z", expires = "2026-11-30T10:05:00Z"
        #expect(try await catalog.recordNonce(keyID: "r1", nonce: "n-0123456789abcdef", expiresAt: expires, now: now))
        #expect(try await !catalog.recordNonce(keyID: "r1", nonce: "n-0123456789abcdef", expiresAt: expires, now: now), "a replay")
        #expect(try await catalog.recordNonce(keyID: "r2", nonce: "n-0123456789abcdef", expiresAt: expires, now: now), "another relay's nonce space")
        #expect(try await !catalog.recordNonce(keyID: "r1", nonce: "n-0123456789abcdef", expiresAt: "2026-11-30T10:09:00Z", now: "2026-11-30T10:04:59Z"))
        #expect(try await catalog.recordNonce(keyID: "r1", nonce: "n-0123456789abcdef", expiresAt: "2026-11-30T10:10:00Z", now: "2026-11-30T10:05:01Z"),
                "past its expiry the signature's timestamp is refused anyway, so the nonce is forgotten")
    }

    @Test("a catalog is migrated once: opening it again keeps every row and changes nothing", arguments: CatalogImplementation.all)
    func reopen(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), first = fixture.catalog
        defer { fixture.end() }
        _ = try await first.insertJob(Self.job("a", at: "2026-11-30T10:00:00Z"))
        _ = try await first.ensureOwner(OwnerRecord(id: "u1", tier: .pro, createdAt: "2026-11-30T10:00:00Z"))
        let second = try await fixture.openAgain()
        #expect(try await second.job("a")?.state == .queued)
        #expect(try await second.owner("u1")?.tier == .pro)
    }

    @Test("a lease holds a job for its node: renewed by it alone; once lapsed another node claims it, and the first can neither renew nor record an outcome",
          arguments: CatalogImplementation.all)
    func leases(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        _ = try await catalog.insertJob(Self.job("a", at: "2026-11-30T10:00:00Z"))
        let first = try #require(try await catalog.claimJob(kind: Self.kind, node: "node-1", at: "2026-11-30T10:01:00Z", leaseUntil: "2026-11-30T10:02:00Z"))
        #expect(first.leaseNode == "node-1" && first.leaseExpiresAt == "2026-11-30T10:02:00Z" && first.attempts == 1)
        #expect(try await catalog.claimJob(kind: Self.kind, node: "node-2", at: "2026-11-30T10:01:30Z", leaseUntil: "2026-11-30T10:02:30Z") == nil,
                "a held lease keeps the job from other nodes")
        #expect(try await catalog.renewLease(job: "a", node: "node-1", until: "2026-11-30T10:03:00Z"))
        #expect(try await !catalog.renewLease(job: "a", node: "node-2", until: "2026-11-30T10:09:00Z"), "only the holder renews")
        #expect(try await catalog.claimJob(kind: Self.kind, node: "node-2", at: "2026-11-30T10:02:30Z", leaseUntil: "2026-11-30T10:03:30Z") == nil,
                "renewed: still held at 10:02:30")

        // node-1 stalls past its lease: node-2 takes the job over, as a new attempt.
        let second = try #require(try await catalog.claimJob(kind: Self.kind, node: "node-2", at: "2026-11-30T10:03:01Z", leaseUntil: "2026-11-30T10:04:01Z"))
        #expect(second.id == "a" && second.leaseNode == "node-2" && second.attempts == 2)
        #expect(try await !catalog.renewLease(job: "a", node: "node-1", until: "2026-11-30T10:05:00Z"))
        var late = first
        late.state = .done
        late.takeID = "take-from-node-1"
        #expect(try await !catalog.updateJob(late, leasedBy: "node-1"), "the outcome of a node that lost its lease is not recorded")
        let afterLoss = try #require(try await catalog.job("a"))
        #expect(afterLoss.takeID == nil && afterLoss.state == .processing)
        var done = second
        done.state = .done
        done.takeID = "take-from-node-2"
        done.leaseNode = nil
        done.leaseExpiresAt = nil
        #expect(try await catalog.updateJob(done, leasedBy: "node-2"))
        let stored = try #require(try await catalog.job("a"))
        #expect(stored.state == .done && stored.takeID == "take-from-node-2" && stored.leaseNode == nil)
        #expect(try await catalog.claimJob(kind: Self.kind, node: "node-3", at: "2026-11-30T11:00:00Z", leaseUntil: "2026-11-30T11:01:00Z") == nil,
                "a finished job is never claimed again")
    }

    @Test("a node starting again queues its own processing jobs only; another node's stay with it until their leases lapse",
          arguments: CatalogImplementation.all)
    func requeueOwnJobs(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), catalog = fixture.catalog
        defer { fixture.end() }
        for id in ["a", "b"] { _ = try await catalog.insertJob(Self.job(id, at: "2026-11-30T10:00:0\(id == "a" ? 0 : 1)Z")) }
        _ = try await catalog.claimJob(kind: Self.kind, node: "node-1", at: "2026-11-30T10:01:00Z", leaseUntil: "2026-11-30T10:02:00Z")
        _ = try await catalog.claimJob(kind: Self.kind, node: "node-2", at: "2026-11-30T10:01:00Z", leaseUntil: "2026-11-30T10:02:00Z")
        #expect(try await catalog.requeueProcessingJobs(kind: Self.kind, leasedBy: "node-1", at: "2026-11-30T10:01:10Z") == 1)
        let a = try #require(try await catalog.job("a")), b = try #require(try await catalog.job("b"))
        #expect(a.state == .queued && a.leaseNode == nil && a.leaseExpiresAt == nil)
        #expect(b.state == .processing && b.leaseNode == "node-2")
    }

    @Test("nodes claiming with leases at once, over a queue with lapsed leases in it, never hand out one job twice",
          arguments: CatalogImplementation.all)
    func concurrentLeasedClaims(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation), setup = fixture.catalog
        defer { fixture.end() }
        let count = 120
        for index in 0..<count { _ = try await setup.insertJob(Self.job("job-\(1000 + index)", at: "2026-11-30T10:00:00Z")) }
        // A third of them were taken by a node that died: leases lapsed long ago.
        for _ in 0..<(count / 3) { _ = try await setup.claimJob(kind: Self.kind, node: "dead", at: "2026-11-30T09:00:00Z", leaseUntil: "2026-11-30T09:01:00Z") }
        var nodes: [(String, any Catalog)] = []
        for index in 0..<3 { nodes.append(("node-\(index)", try await fixture.openAgain())) }
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for (name, catalog) in nodes {
                group.addTask {
                    var mine: [String] = []
                    while let job = try await catalog.claimJob(kind: Self.kind, node: name, at: "2026-11-30T10:01:00Z", leaseUntil: "2026-11-30T10:10:00Z") {
                        mine.append(job.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claims.count == count && Set(claims).count == count, "every job once: \(claims.count) claims of \(Set(claims).count) jobs")
        let held = try await setup.jobs(kind: Self.kind, states: [.processing])
        #expect(held.count == count && held.allSatisfy { $0.leaseNode?.hasPrefix("node-") == true })
    }

    @Test("a job queued through one handle rings the notices of another (PostgreSQL's LISTEN/NOTIFY); SQLite has none",
          .timeLimit(.minutes(5)), arguments: CatalogImplementation.all)
    func notices(_ implementation: CatalogImplementation) async throws {
        let fixture = try await CatalogFixture(implementation)
        defer { fixture.end() }
        let listener = try await fixture.openAgain()
        guard let notices = listener.jobNotices(kind: Self.kind) else {
            #expect(implementation == .sqlite, "only the embedded catalog goes without notices")
            return
        }
        var iterator = notices.makeAsyncIterator()
        _ = await iterator.next()   // the first notice: listening, look once
        // Inserted, another kind (no notice), then requeued and resumed: each rings once it commits.
        _ = try await fixture.catalog.insertJob(JobRecord(id: "other", kind: "other_kind", state: .queued, ownerID: "u1", takeID: nil,
                                                          createdAt: "2026-11-30T10:00:00Z", updatedAt: "2026-11-30T10:00:00Z", detail: "{}"))
        _ = try await fixture.catalog.insertJob(Self.job("a", at: "2026-11-30T10:00:00Z"))
        await iterator.next()
        #expect(try await listener.claimJob(kind: Self.kind, node: "n1", at: "2026-11-30T10:01:00Z", leaseUntil: "2026-11-30T10:02:00Z")?.id == "a")
        #expect(try await fixture.catalog.requeueProcessingJobs(kind: Self.kind, leasedBy: "n1", at: "2026-11-30T10:01:30Z") == 1)
        await iterator.next()
        #expect(try await listener.claimJob(kind: Self.kind, node: "n1", at: "2026-11-30T10:02:00Z", leaseUntil: "2026-11-30T10:03:00Z")?.id == "a")
    }
}
