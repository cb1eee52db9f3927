#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place takevault talks to file descriptors: every call retried on `EINTR`, every read
/// and write carried on across short transfers. Errors are ``SystemCallFailure`` (the caller names
/// the file or object: ``SystemCallFailure/about(_:)``, ``SystemError/about(_:_:)``), except
/// ``makeDirectories(_:mode:)``, which names the folder it could not make in a ``SystemError``;
/// nothing here allocates more than the caller asks for.
public enum SystemIO {
    /// Calls `call` again while it fails with `EINTR`; returns its first other result.
    @inlinable
    public static func retrying<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes all of `bytes`.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw SystemCallFailure(operation: "write", errno: written < 0 ? errno : EIO) }
            offset += written
        }
    }

    /// Writes all of `bytes`.
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try writeAll(descriptor, raw) }
    }

    /// Reads into `buffer` until it is full or the file ends; returns how many bytes arrived.
    public static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = retrying { systemRead(descriptor, buffer.baseAddress! + filled, buffer.count - filled) }
            guard count >= 0 else { throw SystemCallFailure(operation: "read", errno: errno) }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads into `buffer` from `offset` until it is full or the file ends; returns how many bytes arrived.
    public static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = retrying { pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled)) }
            guard count >= 0 else { throw SystemCallFailure(operation: "read", errno: errno) }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Up to `count` bytes from `offset` (fewer where the file ends).
    public static func read(_ descriptor: Int32, at offset: Int64, upTo count: Int) throws -> [UInt8] {
        // Not zero-filled first: for a 4 MiB chunk that was a pass over memory as long as the read.
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try fill(descriptor, UnsafeMutableRawBufferPointer(buffer), at: offset)
        }
    }

    /// Exactly `count` bytes from `offset`; a file that ends first is a failure with `errno` 0.
    public static func read(_ descriptor: Int32, at offset: Int64, exactly count: Int) throws -> [UInt8] {
        let bytes = try read(descriptor, at: offset, upTo: count)
        guard bytes.count == count else { throw SystemCallFailure(operation: "read", errno: 0) }
        return bytes
    }

    /// A whole (small) file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemCallFailure(operation: "open", errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = try chunk.withUnsafeMutableBytes { raw in try fill(descriptor, raw) }
            bytes += chunk[0..<count]
            if count < chunk.count { return bytes }
        }
    }

    /// Creates `path` (which must not exist) with `mode`, writes all of `bytes` and fsyncs it; on
    /// any failure the partial file is removed.
    public static func createFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard descriptor >= 0 else { throw SystemCallFailure(operation: "create", errno: errno) }
        defer { close(descriptor) }
        do {
            try writeAll(descriptor, bytes)
            try sync(descriptor)
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Creates `path` and any missing parents with `mode` (folders that exist are left as they
    /// are). Throws ``SystemError`` naming the folder that could not be made.
    public static func makeDirectories(_ path: String, mode: mode_t) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST { throw SystemError.current("create directory", current) }
        }
    }

    /// fsyncs `descriptor`.
    public static func sync(_ descriptor: Int32) throws {
        guard retrying({ fsync(descriptor) }) == 0 else { throw SystemCallFailure(operation: "fsync", errno: errno) }
    }

    /// fsyncs the folder at `path`, so a rename or unlink in it survives a power cut.
    public static func syncDirectory(_ path: String) throws {
        let descriptor = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemCallFailure(operation: "open folder", errno: errno) }
        defer { close(descriptor) }
        try sync(descriptor)
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif
