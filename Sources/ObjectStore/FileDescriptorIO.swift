#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole reads and writes on a file descriptor, retrying short transfers and `EINTR`: the loops
/// every store needs, in one place. Errors name `name` (an object or a file).
enum FileDescriptorIO {
    /// Writes all of `bytes`.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw StoreError.io(operation: "write", name: name, detail: String(cString: strerror(errno))) }
            offset += written
        }
    }

    /// Exactly `count` bytes from `offset`; a file that ends first is an error (`shortMessage`).
    static func read(_ descriptor: Int32, offset: Int64, count: Int, name: String, shortMessage: String = "unexpected end of file") throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw StoreError.io(operation: "read", name: name, detail: got == 0 ? shortMessage : String(cString: strerror(errno))) }
            done += got
        }
        return bytes
    }
}
