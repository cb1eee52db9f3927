@testable import RelayServer
import Testing

/// The workers' wake-up: a notice wakes one waiter, a notice given while nobody waits is kept,
/// closing wakes everyone, and a wait with no notice ends at its deadline. The long deadlines
/// below are never reached when the signal works: a broken one shows as a test that takes a
/// minute and fails on its time limit.
@Suite("queue signal")
struct QueueSignalTests {
    @Test("a notice given before the wait is kept, up to the capacity", .timeLimit(.minutes(5)))
    func keptNotice() async {
        let signal = QueueSignal(capacity: 2)
        signal.notify()
        signal.notify()
        signal.notify()   // beyond the capacity: not kept
        await signal.wait(atMost: .seconds(3_600))
        await signal.wait(atMost: .seconds(3_600))
        let clock = ContinuousClock()
        let waited = await clock.measure { await signal.wait(atMost: .milliseconds(200)) }
        #expect(waited >= .milliseconds(200), "a third notice was kept beyond the capacity")
    }

    @Test("a waiting worker wakes at the notice", .timeLimit(.minutes(5)))
    func wakes() async {
        let signal = QueueSignal(capacity: 1)
        async let woken: Void = signal.wait(atMost: .seconds(3_600))
        // Whether the notice lands before or after the waiter registers, it ends the wait.
        signal.notify()
        await woken
    }

    @Test("closing wakes every waiter and later waits return at once", .timeLimit(.minutes(5)))
    func close() async {
        let signal = QueueSignal(capacity: 1)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await signal.wait(atMost: .seconds(3_600)) } }
            signal.close()
        }
        await signal.wait(atMost: .seconds(3_600))
    }

    @Test("without a notice the wait ends at its deadline", .timeLimit(.minutes(5)))
    func deadline() async {
        await QueueSignal(capacity: 1).wait(atMost: .milliseconds(20))
    }
}
