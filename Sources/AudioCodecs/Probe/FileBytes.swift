import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes a header parser reads at positions: a file (``FileBytes``) or a buffer (``MemoryBytes``,
/// which the fuzz targets and tests use). Reads past the end return fewer bytes, never an error.
protocol HeaderBytes {
    /// Total bytes; never negative.
    var size: Int64 { get }
    /// Up to `count` bytes at `offset`; fewer at the end, none past it or for a negative offset.
    func read(at offset: Int64, count: Int) throws -> [UInt8]
}

/// Bytes in memory, read as ``HeaderBytes``.
struct MemoryBytes: HeaderBytes {
    let bytes: [UInt8]
    var size: Int64 { Int64(bytes.count) }

    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<(start + min(count, bytes.count - start))])
    }
}

/// A read-only file for header parsing: positioned reads, nothing buffered, closed on deinit.
final class FileBytes: HeaderBytes {
    let path: String
    let size: Int64
    private let descriptor: Int32

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CodecFailure.io(operation: "open", path: path, errno: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = errno
            close(descriptor)
            throw CodecFailure.io(operation: "stat", path: path, errno: error)
        }
        self.path = path
        self.descriptor = descriptor
        self.size = Int64(status.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes at `offset`; fewer at the end of the file.
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        do { return try SystemIO.read(descriptor, at: offset, upTo: Int(min(Int64(count), size - offset))) } catch let failure as SystemCallFailure {
            throw CodecFailure.io(operation: "read", path: path, errno: failure.errno)
        }
    }
}

extension Array where Element == UInt8 {
    func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func littleEndianUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }

    func littleEndianUInt64(at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }

    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    func bigEndianUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    /// Four bytes as an ASCII chunk identifier (non-printable bytes shown as `?`).
    func fourCC(at offset: Int) -> String {
        String(self[offset..<offset + 4].map { (0x20...0x7e).contains($0) ? Character(UnicodeScalar($0)) : "?" })
    }
}
