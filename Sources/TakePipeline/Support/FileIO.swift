#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file operations the pipeline needs, with ``PipelineError/io(operation:path:detail:)``.
enum FileIO {
    static func error(_ operation: String, _ path: String) -> PipelineError {
        .io(operation: operation, path: path, detail: String(cString: strerror(errno)))
    }

    /// Creates `path` and any missing parents with `mode` (existing folders are left as they are).
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST { throw error("create directory", current) }
        }
    }

    /// Writes a new file (fails if it exists), durably.
    static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw error("create", path) }
        defer { close(descriptor) }
        try writeAll(descriptor, bytes, path: path)
        guard fsync(descriptor) == 0 else { throw error("fsync", path) }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw error("write", path) }
            offset += written
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw error("read", path) }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
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
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw error("open", source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw error("create", destination) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw error("read", source) }
            if count == 0 { break }
            try writeAll(output, Array(buffer[0..<count]), path: destination)
        }
        guard fsync(output) == 0 else { throw error("fsync", destination) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether `path` (followed through links) is a regular file; throws when it cannot be read.
    static func isRegularFile(_ path: String) throws -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { throw error("read", path) }
        return status.st_mode & S_IFMT == S_IFREG
    }
}

extension FileIO {
    static func removeFile(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw error("remove", path) }
    }
}

extension FileIO {
    /// fsyncs a directory so a rename in it survives a power cut (best effort).
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
