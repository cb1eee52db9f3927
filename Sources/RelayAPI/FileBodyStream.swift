import NIOCore
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file as an async sequence of buffers (256 KiB each), for streaming request bodies without
/// holding the file in memory.
struct FileBodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int

    init(path: String, chunkSize: Int = 256 * 1024) {
        self.path = path
        self.chunkSize = chunkSize
    }

    func makeAsyncIterator() -> Iterator { Iterator(path: path, chunkSize: chunkSize) }

    final class Iterator: AsyncIteratorProtocol {
        private var descriptor: Int32 = -1
        private let path: String
        private let chunkSize: Int
        private var finished = false

        init(path: String, chunkSize: Int) {
            self.path = path
            self.chunkSize = chunkSize
        }

        deinit { if descriptor >= 0 { close(descriptor) } }

        func next() async throws -> ByteBuffer? {
            if finished { return nil }
            if descriptor < 0 {
                descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw RelayClientError.fileUnreadable(path: path, detail: String(cString: strerror(errno))) }
            }
            var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
            let file = descriptor, path = self.path, chunkSize = self.chunkSize
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { raw in
                do { return try SystemIO.fill(file, UnsafeMutableRawBufferPointer(rebasing: raw[0..<chunkSize])) } catch let failure as SystemCallFailure {
                    throw RelayClientError.fileUnreadable(path: path, detail: failure.detail)
                }
            }
            if count == 0 {
                finished = true
                close(descriptor)
                descriptor = -1
                return nil
            }
            return buffer
        }
    }
}
