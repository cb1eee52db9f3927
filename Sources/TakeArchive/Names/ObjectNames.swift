import TakevaultCore

/// The names of a vault's objects (FORMAT.md §2). Every name is under `v1/`, then the owner:
///
/// - `v1/owners/<owner>/keys/<version>` — the owner's data key, wrapped (FORMAT.md §4)
/// - `v1/owners/<owner>/chunks/<chunk id, 64 hex>` — a sealed chunk (§5)
/// - `v1/owners/<owner>/takes/<take id>/manifest-<generation, 6 digits>` — a sealed manifest (§6)
/// - `v1/owners/<owner>/policy/<version, 6 digits>` — the owner's sealed policy state (§8)
/// - `v1/owners/<owner>/takes/<take id>/key` — a format-3 take's data key, wrapped (§9)
///
/// A take exists exactly when one of its manifests exists; the highest generation is current.
public enum ObjectNames {
    public static let root = "v1/owners/"

    public static func ownerPrefix(_ owner: String) -> String { root + owner + "/" }

    public static func keyObject(owner: String, version: Int) -> String {
        ownerPrefix(owner) + "keys/" + String(version)
    }

    public static func keysPrefix(owner: String) -> String { ownerPrefix(owner) + "keys/" }

    public static func chunk(owner: String, id: ChunkID) -> String {
        ownerPrefix(owner) + "chunks/" + id.hex
    }

    public static func chunksPrefix(owner: String) -> String { ownerPrefix(owner) + "chunks/" }

    public static func takePrefix(owner: String, take: String) -> String { ownerPrefix(owner) + "takes/" + take + "/" }

    public static func takesPrefix(owner: String) -> String { ownerPrefix(owner) + "takes/" }

    public static func manifest(owner: String, take: String, generation: Int) -> String {
        let digits = String(generation)
        return takePrefix(owner: owner, take: take) + "manifest-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The take's own data key object (format 3, FORMAT.md §9).
    public static func takeKey(owner: String, take: String) -> String {
        takePrefix(owner: owner, take: take) + "key"
    }

    public static func policyPrefix(owner: String) -> String { ownerPrefix(owner) + "policy/" }

    public static func policy(owner: String, version: Int) -> String {
        let digits = String(version)
        return policyPrefix(owner: owner) + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// What a name refers to, or `nil` for a name outside the layout.
    public enum Parsed: Equatable, Sendable {
        case key(owner: String, version: Int)
        case chunk(owner: String, id: String)
        case manifest(owner: String, take: String, generation: Int)
        case policy(owner: String, version: Int)
        case takeKey(owner: String, take: String)
    }

    public static func parse(_ name: String) -> Parsed? {
        guard name.hasPrefix(root) else { return nil }
        let parts = name.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, Identifier.isValid(parts[0]) else { return nil }
        switch (parts[1], parts.count) {
        case ("keys", 3):
            return decimal(parts[2]).map { .key(owner: parts[0], version: $0) }
        case ("chunks", 3):
            return ChunkID(hex: parts[2]) != nil ? .chunk(owner: parts[0], id: parts[2]) : nil
        case ("policy", 3):
            return decimal(parts[2]).map { .policy(owner: parts[0], version: $0) }
        case ("takes", 4) where Identifier.isValid(parts[2]) && parts[3] == "key":
            return .takeKey(owner: parts[0], take: parts[2])
        case ("takes", 4) where Identifier.isValid(parts[2]) && parts[3].hasPrefix("manifest-"):
            return decimal(parts[3].dropFirst("manifest-".count)).map { .manifest(owner: parts[0], take: parts[2], generation: $0) }
        default:
            return nil
        }
    }

    /// A version or generation: 1–9 decimal digits and nothing else (no sign, no spaces).
    static func decimal(_ text: some StringProtocol) -> Int? {
        guard (1...9).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }
}
