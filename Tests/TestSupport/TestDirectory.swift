#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory under the system temporary directory, removed with everything in it on deinit.
/// Sendable: its one property never changes.
public final class TestDirectory: Sendable {
    public let path: String

    public init() {
        var template = Array("/tmp/takevault-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        _ = run("/bin/rm", ["-rf", path])
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func write(_ name: String, bytes: [UInt8]) -> String {
        let target = file(name)
        writeBytes(target, bytes)
        return target
    }

    public func read(_ path: String) -> [UInt8] { readBytes(path) }
}

/// The whole content of a file ([] when it cannot be read).
public func readBytes(_ path: String) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return bytes
}

/// Replaces the content of `path` with `bytes`.
public func writeBytes(_ path: String, _ bytes: [UInt8]) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(descriptor >= 0)
    bytes.withUnsafeBytes { _ = Glibc.write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
}

extension TestDirectory {
    public func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Names in the directory (without `.` and `..`).
    public func listing() -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
