import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder in the vault's `work/` for one ingest or reprocess: decoded audio, the master before it
/// is sealed, the report. Its maker holds an exclusive `flock` on the folder's `.in-use` file for as
/// long as it works. The kernel lets that lock go when the process ends, however it ends, so a
/// folder whose lock can be taken was left by a process that died (SIGKILL, a crash, the power):
/// ``removeAbandoned(in:)`` removes those at once — `serve` at its start, the sweep each run —
/// rather than leave audio in the clear until the grace period has passed.
final class WorkFolder {
    /// The folder.
    let path: String
    private let lock: Int32

    static let lockName = ".in-use"

    /// Makes `directory/name` and takes its lock. The lock file is made and locked under a
    /// temporary name, then renamed: a folder with an `.in-use` file is always locked by its maker
    /// while the maker lives.
    init(in directory: String, name: String) throws {
        path = directory + "/" + name
        try FileIO.makeDirectory(path)
        let pending = path + "/" + Self.lockName + ".new"
        let descriptor = open(pending, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let failure = FileIO.error("create", pending)
            FileIO.removeTree(path)
            throw failure
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, rename(pending, path + "/" + Self.lockName) == 0 else {
            let failure = FileIO.error("lock", pending)
            close(descriptor)
            FileIO.removeTree(path)
            throw failure
        }
        lock = descriptor
    }

    /// Removes the folder, then lets its lock go.
    func remove() {
        FileIO.removeTree(path)
        close(lock)
    }

    /// Whose a work folder is.
    enum Holder {
        /// A live process holds its lock: it is working in it.
        case working
        /// Its lock is free: the process that made it has ended.
        case abandoned
        /// It has no lock file: an older version's, or one being made.
        case unknown
    }

    /// Whose `folder` is, as its lock says now.
    static func holder(of folder: String) -> Holder {
        let descriptor = open(folder + "/" + lockName, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .unknown }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0 ? .abandoned : .working
    }

    /// Removes every folder in `directory` left by a process that has ended; returns their names.
    @discardableResult
    static func removeAbandoned(in directory: String) -> [String] {
        var removed: [String] = []
        for name in Sweep.folders(in: directory).map(\.name) {
            let folder = directory + "/" + name
            let descriptor = open(folder + "/" + lockName, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            // Held while the folder goes, so nobody sees it half removed and unlocked.
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                FileIO.removeTree(folder)
                removed.append(name)
            }
            close(descriptor)
        }
        return removed
    }
}

extension Vault {
    /// Removes the work folders of ingests and reprocesses whose process has ended (their decoded
    /// audio would otherwise wait for the sweep's grace period); returns how many went.
    @discardableResult
    public func removeAbandonedWorkFolders() -> Int {
        WorkFolder.removeAbandoned(in: workDirectory).count
    }
}
