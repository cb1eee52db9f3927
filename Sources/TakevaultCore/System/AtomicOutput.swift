#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears at its final path complete or not at all.
///
/// Writers write to ``temporaryPath`` (a hidden name in the same folder, so the rename cannot cross
/// file systems); ``commit()`` fsyncs the data, renames it over ``finalPath`` and fsyncs the folder
/// so the rename survives a power cut; ``discard()`` removes the partial file. A reader of
/// ``finalPath`` never sees a half-written file. Errors are ``SystemError`` (`io_error`). Not
/// thread-safe.
public struct AtomicOutput: Sendable {
    /// Where the finished file will be.
    public let finalPath: String
    /// Where it is written until committed.
    public let temporaryPath: String

    /// Reserves a temporary name beside `finalPath`. Fails early when the folder does not exist or
    /// `finalPath` is something other than a file (``checkReplaceable(_:)``).
    public init(finalPath: String) throws {
        try Self.checkReplaceable(finalPath)
        self.finalPath = finalPath
        let directory = Self.directory(of: finalPath)
        var status = stat()
        guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemError(operation: "write into directory", path: directory, detail: String(cString: strerror(ENOENT)))
        }
        let name = finalPath.split(separator: "/").last.map(String.init) ?? finalPath
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporaryPath = (directory == "." && !finalPath.hasPrefix("./") ? "" : directory + "/") + ".\(name).\(suffix).partial"
    }

    /// Makes the temporary file durable and moves it to ``finalPath``.
    public func commit() throws {
        let descriptor = SystemIO.retrying { open(temporaryPath, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemError.current("open for sync", temporaryPath) }
        do { try SystemIO.sync(descriptor) } catch {
            close(descriptor)
            throw SystemError.about(temporaryPath, error)
        }
        close(descriptor)
        do { try Self.checkReplaceable(finalPath) } catch {
            discard()
            throw error
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let failure = SystemError.current("rename into place", finalPath)
            discard()
            throw failure
        }
        do { try SystemIO.syncDirectory(Self.directory(of: finalPath)) } catch { throw SystemError.about(Self.directory(of: finalPath), error) }
    }

    /// Throws unless `path` is absent, a regular file or a symbolic link (which a rename replaces,
    /// not follows). A rename replaces device nodes, FIFOs and sockets as readily as files: `-o
    /// /dev/null` run as root would put a regular file of audio where every program expects the
    /// null device.
    public static func checkReplaceable(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw SystemError.current("inspect", path)
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFLNK else {
            let what = type == S_IFDIR ? "a folder" : type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : "a device"
            throw SystemError(operation: "write over", path: path, detail: "it is \(what), not a file; takevault writes only new files or replaces files")
        }
    }

    /// Removes the temporary file, if any. Never throws: it runs on failure paths.
    public func discard() {
        unlink(temporaryPath)
    }

    /// The folder a path is in (`.` for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}

extension AtomicOutput {
    /// Writes `bytes` to `path` atomically (temporary file with `mode`, fsync, rename, folder
    /// fsync): readers see the old file or the new one, never a part.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let output = try AtomicOutput(finalPath: path)
        let descriptor = SystemIO.retrying { open(output.temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard descriptor >= 0 else { throw SystemError.current("create", output.temporaryPath) }
        do {
            try SystemIO.writeAll(descriptor, bytes)
        } catch {
            close(descriptor)
            output.discard()
            throw SystemError.about(output.temporaryPath, error)
        }
        close(descriptor)
        try output.commit()
    }
}
