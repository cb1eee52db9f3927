import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The vault's master key: wraps every owner's data key (FORMAT.md §4), never touches audio.
///
/// Its ``id`` (8 bytes, derived one-way) is written beside every wrapped key so a reader knows
/// which master key to use, and rotation can tell old wrappings from new. Never prints itself.
public struct MasterKey: Sendable, Equatable, CustomStringConvertible {
    public let material: KeyMaterial

    public init(material: KeyMaterial) { self.material = material }

    public static func generate() -> MasterKey { MasterKey(material: .random()) }

    /// The public identifier: the first 8 bytes of HKDF(master, "takevault/v1/master-key-id").
    public var id: [UInt8] { Array(material.derive(KeyLabels.masterKeyID).bytes.prefix(8)) }

    var wrappingKey: KeyMaterial { material.derive(KeyLabels.wrapping) }

    public var description: String { "MasterKey(id: \(id.hex))" }

    // MARK: The key file (FORMAT.md §4.1)

    private struct FileForm: Codable {
        var format: Int
        var keyID: String
        var key: String

        enum CodingKeys: String, CodingKey { case format, keyID = "key_id", key }
    }

    /// The key file's content: `{"format":1,"key":"<64 hex>","key_id":"<16 hex>"}` and a newline.
    public func fileContents() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(FileForm(format: 1, keyID: id.hex, key: material.bytes.hex))) ?? Data()
        return Array(data) + [0x0a]
    }

    /// Reads a key file's content, checking its id.
    public init(fileContents: [UInt8]) throws {
        guard let form = try? JSONDecoder().decode(FileForm.self, from: Data(fileContents)), form.format == 1 else {
            throw ArchiveError.masterKeyUnavailable(detail: "the key file is not a takevault master key (format 1)")
        }
        try self.init(hex: form.key)
        guard id.hex == form.keyID else {
            throw ArchiveError.masterKeyUnavailable(detail: "the key file's key does not match its key_id")
        }
    }

    /// A key given as 64 hex digits (e.g. from the environment).
    public init(hex: String) throws {
        guard let bytes = [UInt8](hex: hex.trimmingWhitespace()), bytes.count == 32 else {
            throw ArchiveError.masterKeyUnavailable(detail: "a master key is 64 hex digits")
        }
        material = KeyMaterial(bytes: bytes)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
