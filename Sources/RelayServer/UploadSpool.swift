import Synchronization
import TakePipeline
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spool (``SpoolLayout``): this node's transient copies of uploads.
///
/// `incoming/` holds bodies still arriving (for the duration probe; their durable copy is staged in
/// the store, sealed) and the copy a worker fetched for the attempt in hand: cleared at start,
/// since nothing there outlives its request or attempt. `accepted/` holds only uploads an older
/// version acknowledged into the spool, until their take commits. The spool counts bytes — held
/// here, reserved by uploads in flight, and staged (waiting or quarantined) when the store is a
/// folder on this machine (``noteStaged(_:)``) — against a limit, so a flood of uploads meets
/// `503` rather than a full disk.
final class UploadSpool: Sendable {
    let layout: SpoolLayout
    let limit: Int64
    private let usage: Mutex<Usage>

    struct Usage {
        var stored: Int64 = 0
        var reserved: Int64 = 0
        var staged: Int64 = 0
    }

    var incomingDirectory: String { layout.incomingDirectory }
    var acceptedDirectory: String { layout.acceptedDirectory }

    init(layout: SpoolLayout, limit: Int64) throws {
        self.layout = layout
        self.limit = limit
        for directory in [layout.root, layout.incomingDirectory, layout.acceptedDirectory] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw RelayRefusal.spool("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
        for name in Self.names(in: layout.incomingDirectory) { unlink(layout.incomingDirectory + "/" + name) }
        var stored: Int64 = 0
        for name in Self.names(in: layout.acceptedDirectory) { stored += Self.size(layout.acceptedDirectory + "/" + name) ?? 0 }
        usage = Mutex(Usage(stored: stored))
    }

    /// Bytes held, reserved and staged.
    var bytesInUse: Int64 { usage.withLock { $0.stored + $0.reserved + $0.staged } }

    /// Records what the staging area holds, waiting or quarantined (read from the catalog before
    /// an upload is admitted), when that is this machine's disk too.
    func noteStaged(_ bytes: Int64) {
        usage.withLock { $0.staged = bytes }
    }

    /// Reserves room for an upload of up to `bytes`; `false` when the spool is full.
    func reserve(_ bytes: Int64) -> Bool {
        usage.withLock { usage in
            guard usage.stored + usage.reserved + usage.staged + bytes <= limit else { return false }
            usage.reserved += bytes
            return true
        }
    }

    func release(_ bytes: Int64) {
        usage.withLock { $0.reserved -= bytes }
    }

    /// A new path in `incoming/` for a body about to arrive.
    func incomingPath() -> String {
        var generator = SystemRandomNumberGenerator()
        return incomingDirectory + "/" + String(generator.next() as UInt64, radix: 36) + ".part"
    }

    func acceptedPath(job: String) -> String { layout.acceptedPath(job: job) }

    /// Deletes an accepted upload (its take committed, or it was refused after all).
    func remove(job: String) {
        let size = Self.size(acceptedPath(job: job)) ?? 0
        if layout.removeAccepted(job: job) {
            usage.withLock { $0.stored -= size }
            Self.syncDirectory(acceptedDirectory)
        }
    }

    func contains(job: String) -> Bool { access(acceptedPath(job: job), F_OK) == 0 }

    /// Job ids with an accepted upload on disk.
    func acceptedJobs() -> [String] { layout.acceptedJobs() }

    /// Whether a file can be created, written and synced in the spool (for `/readyz`).
    func isWritable() -> Bool {
        let path = incomingPath() + ".probe"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor); unlink(path) }
        return (try? SystemIO.writeAll(descriptor, Array("ok".utf8))) != nil && (try? SystemIO.sync(descriptor)) != nil
    }

    static func size(_ path: String) -> Int64? {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : nil
    }

    static func syncDirectory(_ path: String) {
        try? SystemIO.syncDirectory(path)
    }

    static func names(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension RelayRefusal {
    static func spool(_ message: String) -> RelayRefusal {
        RelayRefusal(status: .internalServerError, code: "spool_error", message: message)
    }
}

/// One upload's claim on the spool's budget: grows in steps of ``step`` as the body arrives (or
/// all at once for a declared length), and is given back when the upload is done — accepted
/// uploads count as stored bytes from then on. Used by one request at a time.
final class SpoolReservation {
    /// Reservation granularity for bodies without a declared length.
    static let step: Int64 = 8 << 20
    let spool: UploadSpool
    let retryAfter: Int
    private(set) var reserved: Int64 = 0

    init(spool: UploadSpool, retryAfter: Int) {
        self.spool = spool
        self.retryAfter = retryAfter
    }

    /// Reserves a declared length whole; `503 relay_busy` when the spool cannot take it.
    func reserveDeclared(_ bytes: Int64) throws {
        try grow(by: bytes - reserved)
    }

    /// Makes sure `bytes` received so far are covered, growing by at least ``step``.
    func cover(_ bytes: Int64) throws {
        guard bytes > reserved else { return }
        try grow(by: max(bytes - reserved, Self.step))
    }

    private func grow(by wanted: Int64) throws {
        guard wanted > 0 else { return }
        guard spool.reserve(wanted) else {
            throw RelayRefusal.busy("The spool is full (\(spool.bytesInUse) of \(spool.limit) bytes).", retryAfter: retryAfter)
        }
        reserved += wanted
    }

    func releaseAll() {
        spool.release(reserved)
        reserved = 0
    }
}
