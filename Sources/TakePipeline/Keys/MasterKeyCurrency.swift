import TakeArchive
import TakeCatalog
import TakevaultCore

/// Whether this node may wrap under its master key: the catalog records which master key is the
/// vault's current one (``MasterKeyRecord``), so nodes reading their keys from their own secret
/// files agree. A node whose primary key is the current one writes; one holding the next key of a
/// rotation under way (its ring still holds the current one) writes too, under the next key; a
/// node whose ring lacks the current key — it missed a rotation, or holds another vault's key —
/// refuses with `master_key_outdated` rather than wrap what the others cannot open once the old
/// key is retired.
///
/// The first check on a catalog with no key recorded records this node's. Checked where keys are
/// wrapped: a new owner key (under the owner's lock, so within the vault's shared lock that a
/// rotation takes exclusive) and a staged upload's seal (checked again after it is written, since
/// the relay takes no lock: a rotation recorded in between is seen, and the seal withdrawn).
public struct MasterKeyCurrency: Sendable {
    let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Throws ``PipelineError/masterKeyOutdated(node:vault:)`` unless this node may wrap under its
    /// primary master key now.
    public func checkWritable() async throws {
        let primary = vault.masterKey.id.hex
        let current = try await vault.catalog.adoptMasterKey(primary, at: Timestamp.string(vault.clock.now()))
        guard current == primary || Self.holds(vault.masterKeys, current) else {
            throw PipelineError.masterKeyOutdated(node: primary, vault: current)
        }
    }

    /// For `/readyz`: `nil` when this node may write, else the reason code; reads only.
    public func problem() async throws -> String? {
        guard let current = try await vault.catalog.masterKeys().first(where: { $0.state == .current }) else { return nil }
        return current.keyID == vault.masterKey.id.hex || Self.holds(vault.masterKeys, current.keyID) ? nil : "master_key_outdated"
    }

    private static func holds(_ ring: MasterKeyRing, _ id: String) -> Bool {
        [UInt8](hex: id).map { ring.key(id: $0) != nil } ?? false
    }
}
