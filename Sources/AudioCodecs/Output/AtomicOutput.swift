#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears at its final path complete or not at all.
///
/// Encoders write to ``temporaryPath`` (a hidden name in the same directory, so the rename cannot
/// cross file systems); ``commit()`` fsyncs the data, renames it over ``finalPath`` and fsyncs the
/// directory so the rename survives a power cut; ``discard()`` removes the partial file. A reader
/// of ``finalPath`` never sees a half-written artefact. Not thread-safe.
public struct AtomicOutput: Sendable {
    /// Where the finished file will be.
    public let finalPath: String
    /// Where it is written until committed.
    public let temporaryPath: String

    /// Reserves a temporary name beside `finalPath`. Fails early when the directory does not exist.
    public init(finalPath: String) throws {
        self.finalPath = finalPath
        let directory = Self.directory(of: finalPath)
        var status = stat()
        guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw CodecFailure.io(operation: "write into directory", path: directory, errno: ENOENT)
        }
        let name = finalPath.split(separator: "/").last.map(String.init) ?? finalPath
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporaryPath = (directory == "." && !finalPath.hasPrefix("./") ? "" : directory + "/") + ".\(name).\(suffix).partial"
    }

    /// Makes the temporary file durable and moves it to ``finalPath``.
    public func commit() throws {
        try Self.fsync(path: temporaryPath, directory: false)
        guard rename(temporaryPath, finalPath) == 0 else {
            let code = errno
            discard()
            throw CodecFailure.io(operation: "rename into place", path: finalPath, errno: code)
        }
        try Self.fsync(path: Self.directory(of: finalPath), directory: true)
    }

    /// Removes the temporary file, if any. Never throws: it runs on failure paths.
    public func discard() {
        unlink(temporaryPath)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    private static func fsync(path: String, directory: Bool) throws {
        let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard descriptor >= 0 else { throw CodecFailure.io(operation: "open for sync", path: path, errno: errno) }
        defer { close(descriptor) }
        #if canImport(Glibc)
        let result = Glibc.fsync(descriptor)
        #else
        let result = Darwin.fsync(descriptor)
        #endif
        guard result == 0 else { throw CodecFailure.io(operation: "fsync", path: path, errno: errno) }
    }
}

extension AtomicOutput {
    /// Writes `bytes` to `path` atomically (temporary file with `mode`, fsync, rename, directory
    /// fsync): readers see the old file or the new one, never a part.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let output = try AtomicOutput(finalPath: path)
        let descriptor = open(output.temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CodecFailure.io(operation: "create", path: output.temporaryPath, errno: errno) }
        do {
            try writeAll(descriptor, bytes, path: output.temporaryPath)
        } catch {
            close(descriptor)
            output.discard()
            throw error
        }
        close(descriptor)
        try output.commit()
    }

    /// Writes all of `bytes` to `descriptor`, retrying interrupted and short writes.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                #else
                Darwin.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                #endif
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw CodecFailure.io(operation: "write", path: path, errno: errno) }
            offset += written
        }
    }
}
