import Synchronization

/// Live progress of the jobs workers hold: stage and fraction, in memory (the catalog keeps only
/// states, so progress costs no writes).
final class JobProgressBoard: Sendable {
    struct Progress: Sendable {
        var stage: String
        var fraction: Double
    }

    private let entries = Mutex<[String: Progress]>([:])

    func update(_ job: String, stage: String, fraction: Double) {
        entries.withLock { $0[job] = Progress(stage: stage, fraction: min(1, max(0, fraction))) }
    }

    func progress(_ job: String) -> Progress? { entries.withLock { $0[job] } }

    func clear(_ job: String) { _ = entries.withLock { $0.removeValue(forKey: job) } }
}
