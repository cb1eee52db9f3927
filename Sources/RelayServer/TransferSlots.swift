import Synchronization

/// Bounds the artefact transfers under way at once (`--max-transfers`): each holds up to two
/// chunks in memory, so the bound is the delivery's memory bound. A transfer holds its
/// ``Ticket`` for as long as its response body exists; the place is given back when it goes,
/// however the transfer ended.
final class TransferSlots: Sendable {
    let limit: Int
    private let inUse = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// A place, or `nil` when all are taken.
    func take() -> Ticket? {
        let admitted = inUse.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        return admitted ? Ticket(slots: self) : nil
    }

    var count: Int { inUse.withLock { $0 } }

    fileprivate func release() { inUse.withLock { $0 -= 1 } }

    /// One transfer's place: given back by ``release()`` when the transfer ends, or when the last
    /// reference goes if it never started (the connection closed before its body was written).
    final class Ticket: Sendable {
        private let slots: TransferSlots
        private let held = Mutex(true)
        fileprivate init(slots: TransferSlots) { self.slots = slots }

        /// Gives the place back (once, however often it is called).
        func release() {
            if held.withLock({ let was = $0; $0 = false; return was }) { slots.release() }
        }

        deinit { release() }
    }
}
