import CWriteback

/// Starts the disk writes of a file written front to back while it is still being written, a few
/// MiB at a time, so that the fsync that ends it waits for the last few MiB instead of all of it.
/// A fetch of a 43 MB master spent 20–35 ms of its 140–240 ms in that final fsync
/// (`takevault-pipeline-bench --only s3-delivery`). Advisory: a failure to start the writes is
/// ignored, since the fsync that follows reports any that matter.
public struct WritebackPacer: Sendable {
    /// How much is written before the disk writes of it are started.
    public static let step: Int64 = 8 << 20

    private let descriptor: Int32
    private var started: Int64 = 0

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Records that the file now holds `end` bytes; starts writing out what has accumulated since
    /// the last call that did.
    public mutating func wrote(upTo end: Int64) {
        guard end - started >= Self.step else { return }
        _ = takevault_start_writeback(descriptor, started, end - started)
        started = end
    }
}
