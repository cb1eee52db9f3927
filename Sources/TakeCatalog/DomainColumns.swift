import GRDB
import TakevaultCore

/// Domain values stored as their raw text, the same spelling as tags, manifests and the relay. A
/// row with any other text fails to decode (the catalog only ever writes these).
extension Tier: DatabaseValueConvertible {}

/// `jobs.state`: `queued`, `processing`, `done`, `rejected`, `failed`.
extension JobState: DatabaseValueConvertible {}

/// `jobs.callback_state`: `pending`, `delivered`, `failed`.
extension CallbackState: DatabaseValueConvertible {}

/// `take_objects.kind`: `manifest` or `chunk`.
extension ObjectKind: DatabaseValueConvertible {}
