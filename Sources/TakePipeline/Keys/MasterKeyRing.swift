import Synchronization
import TakeArchive

/// The master keys a vault can unwrap with: the primary (which wraps new owner keys) and, during a
/// rotation, the one being replaced. Safe to share between tasks.
public final class MasterKeyRing: Sendable {
    private let keys: Mutex<(primary: MasterKey, others: [MasterKey])>

    public init(primary: MasterKey, others: [MasterKey] = []) {
        keys = Mutex((primary, others))
    }

    public var primary: MasterKey { keys.withLock { $0.primary } }

    /// The other keys still read (during an interrupted rotation, the previous one).
    var others: [MasterKey] { keys.withLock { $0.others } }

    /// The key with `id`, if the ring holds it.
    public func key(id: [UInt8]) -> MasterKey? {
        keys.withLock { state in ([state.primary] + state.others).first { $0.id == id } }
    }

    func replace(primary: MasterKey, others: [MasterKey]) {
        keys.withLock { $0 = (primary, others) }
    }

    /// Opens an owner key object with whichever master key it names.
    public func unwrap(_ object: [UInt8], owner: String, objectName: String) throws -> OwnerKey {
        guard let id = OwnerKey.masterKeyID(ofKeyObject: object) else {
            throw ArchiveError.malformedObject(object: objectName, detail: "not a TVK1 or TVK2 key object")
        }
        guard let master = key(id: id) else { throw ArchiveError.authenticationFailed(object: objectName) }
        return try OwnerKey.unwrap(object, owner: owner, under: master, objectName: objectName)
    }
}
