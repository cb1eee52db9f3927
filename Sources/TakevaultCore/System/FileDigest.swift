import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 of a file, streamed in 1 MiB reads: memory is one buffer whatever the file's size.
public enum FileDigest {
    public static func sha256(_ path: String) throws -> (digest: [UInt8], bytes: Int64) {
        let descriptor = SystemIO.retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw SystemError.current("open", path) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let count: Int
            do { count = try buffer.withUnsafeMutableBytes { raw in try SystemIO.fill(descriptor, raw) } } catch {
                throw SystemError.about(path, error)
            }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += Int64(count)
            if count < buffer.count { return (Array(hasher.finalize()), total) }
        }
    }
}
