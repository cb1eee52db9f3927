import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the pipeline needs beyond ``SystemIO``: folders, new files, copies,
/// trees. Errors are ``SystemError`` (`io_error`) naming the path.
enum FileIO {
    /// The current `errno` for `operation` on `path`.
    static func error(_ operation: String, _ path: String) -> SystemError { .current(operation, path) }

    /// Creates `path` and any missing parents with `mode` (existing folders are left as they are).
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        try SystemIO.makeDirectories(path, mode: mode)
    }

    /// Writes a new file (fails if it exists), durably.
    static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        do { try SystemIO.createFile(path, bytes, mode: mode) } catch { throw SystemError.about(path, error) }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        do { try SystemIO.writeAll(descriptor, bytes) } catch { throw SystemError.about(path, error) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        do { return try SystemIO.readFile(path) } catch { throw SystemError.about(path, error) }
    }

    static func size(_ path: String) throws -> Int64 {
        var status = stat()
        guard stat(path, &status) == 0 else { throw error("stat", path) }
        return Int64(status.st_size)
    }

    /// Removes a directory tree (work folders).
    static func removeTree(_ path: String) {
        guard let directory = opendir(path) else { unlink(path); return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var status = stat()
            if lstat(child, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        closedir(directory)
        rmdir(path)
    }

    /// Copies a file (quarantine keeps the upload as it was) into a new file with `mode`.
    static func copy(_ source: String, to destination: String, mode: mode_t) throws {
        let input = SystemIO.retrying { open(source, O_RDONLY | O_CLOEXEC) }
        guard input >= 0 else { throw error("open", source) }
        defer { close(input) }
        let output = SystemIO.retrying { open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard output >= 0 else { throw error("create", destination) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count: Int
            do { count = try buffer.withUnsafeMutableBytes { try SystemIO.fill(input, $0) } } catch { throw SystemError.about(source, error) }
            try writeAll(output, Array(buffer[0..<count]), path: destination)
            if count < buffer.count { break }
        }
        do { try SystemIO.sync(output) } catch { throw SystemError.about(destination, error) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether `path` (followed through links) is a regular file; throws when it cannot be read.
    static func isRegularFile(_ path: String) throws -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { throw error("read", path) }
        return status.st_mode & S_IFMT == S_IFREG
    }

    static func removeFile(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw error("remove", path) }
    }

    /// fsyncs a folder so a rename in it survives a power cut (best effort).
    static func syncDirectory(_ path: String) {
        try? SystemIO.syncDirectory(path)
    }
}
