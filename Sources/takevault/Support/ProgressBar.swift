import Synchronization
import TakePipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on stderr when it is a terminal; nothing otherwise.
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let label: String
    private let audioSeconds: Double
    private let start: Double
    /// When the bar was last drawn (progress is reported from the pipeline's tasks).
    private let lastDraw = Mutex(0.0)

    init(label: String, audioSeconds: Double) {
        enabled = isatty(2) == 1
        self.label = label
        self.audioSeconds = audioSeconds
        start = Self.now()
    }

    func update(stage: IngestStage, fraction: Double) {
        update(stageName: stage.rawValue, fraction: fraction)
    }

    /// Draws `stageName` and the bar (at most ten times a second).
    func update(stageName: String, fraction: Double) {
        guard enabled else { return }
        lastDraw.withLock { lastDraw in
            let now = Self.now()
            guard now - lastDraw > 0.1 || fraction >= 1 else { return }
            lastDraw = now
            let width = 24
            let filled = Int((max(0, min(1, fraction)) * Double(width)).rounded())
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let elapsed = max(now - start, 0.001)
            let speed = audioSeconds > 0 ? " \(Int(audioSeconds / elapsed))× real time" : ""
            FileDescriptorOutput.standardError.writeErasingLine("\(label) \(stageName.padding(16)) \(bar) \(Int(fraction * 100))%\(speed)")
        }
    }

    func finish() {
        guard enabled else { return }
        FileDescriptorOutput.standardError.writeErasingLine()
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
