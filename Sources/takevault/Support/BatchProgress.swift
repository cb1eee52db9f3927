import Synchronization
import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a batch of takes on stderr when it is a terminal: done of total, audio seconds,
/// an ETA from the audio processed so far, and each failure on its own line as it happens.
final class BatchProgress: Sendable {
    private let enabled: Bool
    private let label: String
    private let start = ProgressBar.now()
    /// Counts, updated from the reprocess tasks' events.
    private let state = Mutex(State())

    private struct State {
        var total = 0
        var totalSeconds = 0.0
        var finished = 0
        var failed = 0
        var secondsDone = 0.0
        var lastDraw = 0.0
    }

    init(label: String, quiet: Bool) {
        enabled = !quiet && isatty(2) == 1
        self.label = label
    }

    func handle(_ event: Reprocess.Event) {
        state.withLock { state in
            switch event {
            case .planned(let takes, let seconds):
                state.total = takes
                state.totalSeconds = seconds
            case .progress:
                break
            case .finished(let result):
                state.finished += 1
                state.secondsDone += result.durationS
                if result.outcome == .failed {
                    state.failed += 1
                    if enabled {
                        FileDescriptorOutput.standardError.writeErasingLine("\(result.takeID): failed [\(result.reason?.code ?? "")] \(result.reason?.message ?? "")\n")
                    }
                }
            }
            draw(&state)
        }
    }

    private func draw(_ state: inout State) {
        guard enabled else { return }
        let now = ProgressBar.now()
        guard now - state.lastDraw > 0.1 || state.finished == state.total else { return }
        state.lastDraw = now
        let fraction = state.total == 0 ? 1 : Double(state.finished) / Double(state.total)
        let width = 24
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = now - start
        let eta: String
        if state.secondsDone > 0, state.totalSeconds > state.secondsDone {
            let remaining = elapsed / state.secondsDone * (state.totalSeconds - state.secondsDone)
            eta = " ETA \(Int(remaining / 60))m\(Int(remaining.truncatingRemainder(dividingBy: 60)))s"
        } else {
            eta = ""
        }
        let failures = state.failed > 0 ? " · \(state.failed) failed" : ""
        FileDescriptorOutput.standardError.writeErasingLine("\(label) \(bar) \(state.finished)/\(state.total) takes\(failures)\(eta)")
    }

    func finish() {
        guard enabled else { return }
        FileDescriptorOutput.standardError.writeErasingLine()
    }
}
