/// What a stored object is, as its `kind` tag says and the catalog records: a take's manifest, a
/// sealed chunk of one of its artefacts, or an owner's wrapped key. The S3 lifecycle backstop's
/// rules filter on the first two; owner keys are never expired by a rule.
public enum ObjectKind: String, Sendable, Codable, CaseIterable {
    case manifest
    case chunk
    case ownerKey = "owner-key"
    case ownerPolicy = "owner-policy"
    /// A take's own data key (format 3): never given a retain-until, so no lifecycle rule can
    /// shred a take whose window was extended; the sweep deletes it with its take.
    case takeKey = "take-key"
    /// An upload a relay node of a shared vault acknowledged and has not yet made into a take,
    /// sealed under a key of its own (FORMAT.md §10). No retain-until: the relay deletes it when
    /// its job ends, the sweep when its job is gone.
    case stagedUpload = "staged-upload"
}
