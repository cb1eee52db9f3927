import Synchronization

/// Wakes idle workers when a job is queued, so they wait on this instead of polling the catalog.
///
/// A notice with no worker waiting is kept (up to `capacity`), so a job queued between a worker's
/// empty claim and its wait is not missed. Waits also end after a deadline: the catalog is the
/// truth, and a job queued by anything that does not notify (recovery at start, another process)
/// is still found, only later.
final class QueueSignal: Sendable {
    private struct State {
        var kept = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits whose deadline passed before they were registered.
        var expiredEarly: Set<Int> = []
        var closed = false
    }

    private let state = Mutex(State())
    private let capacity: Int

    /// `capacity`: notices kept while no worker waits (one per worker is enough).
    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// One job was queued: wakes one waiting worker, or keeps the notice for the next to wait.
    func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let (id, continuation) = state.waiters.first {
                state.waiters[id] = nil
                return continuation
            }
            state.kept = min(state.kept + 1, capacity)
            return nil
        }
        waiter?.resume()
    }

    /// Wakes every waiting worker and makes later waits return at once (shutdown).
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next notice (or a kept one), at `deadline`'s end, or at once once closed.
    func wait(atMost deadline: Duration) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = Task {
            do { try await Task.sleep(for: deadline) } catch { return }   // cancelled: the wait ended first
            self.expire(id)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.closed || state.expiredEarly.remove(id) != nil { return true }
                if state.kept > 0 {
                    state.kept -= 1
                    return true
                }
                state.waiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.expiredEarly.insert(id)
                return nil
            }
            return waiter
        }
        waiter?.resume()
    }
}
