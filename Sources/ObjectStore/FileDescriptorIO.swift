import TakevaultCore

/// Whole reads and writes on a file descriptor for the stores (``SystemIO`` underneath), with
/// errors as ``StoreError/io(operation:name:detail:)`` naming `name` (an object or a file).
enum FileDescriptorIO {
    /// Writes all of `bytes`.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        do { try SystemIO.writeAll(descriptor, bytes) } catch let failure as SystemCallFailure {
            throw StoreError.io(operation: failure.operation, name: name, detail: failure.detail)
        }
    }

    /// Exactly `count` bytes from `offset`; a file that ends first is an error (`shortMessage`).
    static func read(_ descriptor: Int32, offset: Int64, count: Int, name: String, shortMessage: String = "unexpected end of file") throws -> [UInt8] {
        do { return try SystemIO.read(descriptor, at: offset, exactly: count) } catch let failure as SystemCallFailure {
            throw StoreError.io(operation: "read", name: name, detail: failure.errno == 0 ? shortMessage : failure.detail)
        }
    }
}
