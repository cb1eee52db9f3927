#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Permissions of files takevault writes outside the vault that hold decrypted audio or personal
/// data (`restore`, `export`). Private by default — files 0600, folders 0700 — because a restored
/// master is the plaintext the vault exists to protect; an operator who shares them on purpose
/// passes `--file-mode` (docs/OPERATIONS.md). The process umask can only narrow them further.
public struct OutputPermissions: Sendable, Equatable {
    public let file: mode_t

    /// Files 0600, folders 0700.
    public static let `private` = OutputPermissions(checkedFile: 0o600)

    private init(checkedFile: mode_t) { file = checkedFile }

    /// Permissions from an octal mode such as `640`; `nil` unless it is 3–4 octal digits, at most
    /// 0777, and lets the owner read and write.
    public init?(octal: String) {
        guard (3...4).contains(octal.utf8.count), octal.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }),
              let value = mode_t(octal, radix: 8), value <= 0o777, value & 0o600 == 0o600
        else { return nil }
        file = value
    }

    /// Folders: the file mode with search (x) wherever it allows reading.
    public var directory: mode_t { file | ((file & 0o444) >> 2) }
}
