import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 of a file, streamed in 1 MiB reads.
enum FileHashing {
    static func sha256(_ path: String) throws -> (digest: [UInt8], bytes: Int64) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileIO.error("open", path) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw FileIO.error("read", path) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += Int64(count)
        }
        return (Array(hasher.finalize()), total)
    }
}
