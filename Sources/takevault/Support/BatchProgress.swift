import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a batch of takes on stderr when it is a terminal: done of total, audio seconds,
/// an ETA from the audio processed so far, and each failure on its own line as it happens.
final class BatchProgress: @unchecked Sendable {
    private let enabled: Bool
    private let label: String
    private let lock = NSLockLike()
    private let start = ProgressBar.now()
    private var total = 0
    private var totalSeconds = 0.0
    private var finished = 0
    private var failed = 0
    private var secondsDone = 0.0
    private var inFlight: [String: Double] = [:]
    private var durations: [String: Double] = [:]
    private var lastDraw = 0.0

    init(label: String, quiet: Bool) {
        enabled = !quiet && isatty(2) == 1
        self.label = label
    }

    func handle(_ event: Reprocess.Event) {
        lock.withLock {
            switch event {
            case .planned(let takes, let seconds):
                total = takes
                totalSeconds = seconds
            case .progress(let take, let fraction):
                inFlight[take] = fraction
            case .finished(let result):
                inFlight[result.takeID] = nil
                finished += 1
                secondsDone += result.durationS
                if result.outcome == "failed" {
                    failed += 1
                    if enabled {
                        FileDescriptorOutput.standardError.write("\r\u{1b}[2K\(result.takeID): failed [\(result.reason?.code ?? "")] \(result.reason?.message ?? "")\n")
                    }
                }
            }
            draw()
        }
    }

    private func draw() {
        guard enabled else { return }
        let now = ProgressBar.now()
        guard now - lastDraw > 0.1 || finished == total else { return }
        lastDraw = now
        let fraction = total == 0 ? 1 : Double(finished) / Double(total)
        let width = 24
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = now - start
        let eta: String
        if secondsDone > 0, totalSeconds > secondsDone {
            let remaining = elapsed / secondsDone * (totalSeconds - secondsDone)
            eta = " ETA \(Int(remaining / 60))m\(Int(remaining.truncatingRemainder(dividingBy: 60)))s"
        } else {
            eta = ""
        }
        let failures = failed > 0 ? " · \(failed) failed" : ""
        FileDescriptorOutput.standardError.write("\r\u{1b}[2K\(label) \(bar) \(finished)/\(total) takes\(failures)\(eta)")
    }

    func finish() {
        guard enabled else { return }
        FileDescriptorOutput.standardError.write("\r\u{1b}[2K")
    }
}
