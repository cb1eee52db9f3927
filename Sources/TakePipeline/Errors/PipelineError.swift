import TakevaultCore

/// Why a pipeline operation could not go ahead (the upload's own problems are `UploadRejected`,
/// damaged data `ArchiveError`, failed file operations `SystemError`).
public enum PipelineError: ReasonCoded, Equatable, Sendable {
    case vaultMissing(path: String)
    case vaultExists(path: String)
    case takeNotFound(String)
    case artefactNotFound(take: String, kind: ArtefactKind)
    case invalidMetadata(String)
    case invalidSetting(name: String, value: String, allowed: String)
    /// The owner's processing is restricted (privacy policy): nothing new may be made from their data.
    case ownerRestricted(String)
    /// The owner has been erased: nothing of theirs can be read or written.
    case ownerErased(String)
    /// An erasure found nothing of the owner: erased already, or never stored (an upload still
    /// arriving for a new owner is not theirs yet: it starts them anew).
    case nothingToErase(String)
    /// A hold covers the owner: their data may not be deleted until it is lifted.
    case ownerHeld(owner: String, reason: String, hold: String)
    /// A hold covers the take: it may not be deleted until the hold is lifted.
    case takeHeld(take: String, reason: String, hold: String)
    /// A session with no takes (or of an owner the caller may not see).
    case sessionNotFound(owner: String, session: String)
    /// The store is configured in a region the policy does not allow.
    case regionNotAllowed(region: String, allowed: [String])
    /// An upload path that is not a regular file (a device, a pipe, a folder): it could be endless.
    case notARegularFile(path: String)
    /// The owner's newest policy object in the store is older than the version the catalog
    /// recorded: a newer one was deleted (or all of them). Nothing is decided on the older one.
    case policyRollback(owner: String, stored: Int, recorded: Int)
    /// The store holds a take the catalog last recorded as deleted: put back from an earlier copy
    /// (or left by a deletion that stopped part-way). It is not indexed or carried over.
    case deletedTakePresent(take: String)
    /// Something else holds what the operation needs alone (a running relay server).
    case busy(operation: String, detail: String)
    /// This node's master key is not the vault's current one (another node rotated it): it refuses
    /// to wrap anything under a key the others will retire.
    case masterKeyOutdated(node: String, vault: String)
    /// A catalog copy read back differs from what was copied; the vault keeps its catalog.
    case catalogCopyMismatch(target: String)

    public var code: String {
        switch self {
        case .vaultMissing: "vault_missing"
        case .vaultExists: "vault_exists"
        case .takeNotFound: "take_not_found"
        case .artefactNotFound: "artefact_not_found"
        case .invalidMetadata: "invalid_metadata"
        case .invalidSetting: "invalid_setting"
        case .ownerRestricted: "owner_restricted"
        case .ownerErased, .nothingToErase: "owner_erased"
        case .ownerHeld: "owner_held"
        case .takeHeld: "take_held"
        case .sessionNotFound: "session_not_found"
        case .regionNotAllowed: "region_not_allowed"
        case .notARegularFile: "not_a_regular_file"
        case .policyRollback: "policy_rollback"
        case .deletedTakePresent: "deleted_take_present"
        case .busy: "vault_busy"
        case .masterKeyOutdated: "master_key_outdated"
        case .catalogCopyMismatch: "catalog_copy_mismatch"
        }
    }

    public var message: String {
        switch self {
        case .vaultMissing(let path): "No vault at \(path). Run `takevault init --vault \(path)` first."
        case .vaultExists(let path): "A vault already exists at \(path); init never overwrites one."
        case .takeNotFound(let take): "No take \(take) in this vault."
        case .artefactNotFound(let take, let kind): "Take \(take) has no \(kind) artefact."
        case .invalidMetadata(let detail): "The take metadata is not valid: \(detail)."
        case .invalidSetting(let name, let value, let allowed): "\(name) = \(value) is not allowed (\(allowed))."
        case .ownerRestricted(let owner): "Processing of owner \(owner)'s data is restricted; nothing new is made from it until the restriction is lifted."
        case .ownerErased(let owner): "Owner \(owner) has been erased."
        case .nothingToErase(let owner): "Nothing of owner \(owner) is in this vault: erased already, or never stored."
        case .ownerHeld(let owner, let reason, let hold):
            "Owner \(owner) is under hold \(hold) (\(reason)); nothing of theirs can be deleted until it is lifted (`takevault owner hold --lift`)."
        case .takeHeld(let take, let reason, let hold):
            "Take \(take) is under hold \(hold) (\(reason)); it cannot be deleted until the hold is lifted (`takevault owner hold --lift`)."
        case .sessionNotFound(let owner, let session): "Owner \(owner) has no session \(session) with takes in this vault."
        case .regionNotAllowed(let region, let allowed):
            "The store is in region \(region), which the policy does not allow (allowed: \(allowed.joined(separator: ", "))); nothing is written."
        case .notARegularFile(let path):
            "\(path) is not a regular file (a device, pipe or folder); ingest takes files."
        case .policyRollback(let owner, let stored, let recorded):
            "Owner \(owner)'s newest policy object in the store is version \(stored), the catalog recorded version \(recorded): a newer one is gone. Nothing of theirs is decided on it."
        case .deletedTakePresent(let take):
            "Take \(take) was deleted, yet the store holds it: put back from an earlier copy, or a deletion stopped part-way. It is not indexed; `takevault delete --take \(take)` removes it."
        case .busy(let operation, let detail): "\(operation) cannot run now: \(detail)."
        case .catalogCopyMismatch(let target):
            "The copy in \(target) does not read back as what was copied; the vault keeps its catalog. Empty the target and try again."
        case .masterKeyOutdated(let node, let vault):
            "This node's master key (id \(node)) is not the vault's current one (id \(vault)): a rotation moved the vault on. Install the "
                + "vault's key on this node (docs/SCALING.md, \"Rotating the master key\"); nothing is wrapped under an outdated key."
        }
    }

    public var category: ErrorCategory {
        switch self {
        case .takeNotFound, .artefactNotFound, .sessionNotFound, .invalidMetadata, .invalidSetting, .vaultExists, .notARegularFile: .usage
        case .ownerRestricted, .ownerErased, .nothingToErase, .ownerHeld, .takeHeld: .rejectedInput
        case .vaultMissing, .regionNotAllowed, .busy, .masterKeyOutdated: .failure
        case .policyRollback, .deletedTakePresent, .catalogCopyMismatch: .integrity
        }
    }
}
