@testable import TakePipeline
import TakevaultCore
import Testing

/// Readiness answers in bounded time: a check that hangs (a catalog behind a silent network waits
/// out its 10 s connect timeout, and may not heed cancellation) is reported unavailable once its
/// limit passes, without waiting for it.
@Suite("Vault health checks")
struct VaultHealthTests {
    struct Refused: ReasonCoded {
        var code: String { "catalog_unavailable" }
        var message: String { "refused" }
        var category: ErrorCategory { .failure }
    }

    // The limit only keeps a broken bound from hanging the suite; under the full suite other tests
    // hold the concurrency pool for minutes at a time.
    @Test("a check that answers, one that throws, and one that never returns", .timeLimit(.minutes(10)))
    func boundedChecks() async throws {
        #expect(await Vault.bounded(.seconds(5), timedOut: "late") {} == "ok")
        #expect(await Vault.bounded(.seconds(5), timedOut: "late") { throw Refused() } == "catalog_unavailable")
        // Never returns, and ignores cancellation: only the limit can end the wait.
        let hung = await Vault.bounded(.milliseconds(200), timedOut: "store_unavailable") {
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
        }
        #expect(hung == "store_unavailable")
    }
}
