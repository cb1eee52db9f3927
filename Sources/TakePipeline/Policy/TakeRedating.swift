import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Gives a take a new tier and end of retention everywhere it is recorded: the manifest is
/// rewritten with the new header (same generation), every chunk is renewed with the new tags
/// (renewed, not only re-tagged: the S3 lifecycle backstop counts its window from the last write),
/// and the catalog row follows. Used by a tier change and by an upload of a take whose window had
/// ended.
struct TakeRedating {
    let vault: Vault

    func redate(_ take: TakeRecord, tier: Tier, retainUntil end: String?, held: Bool) async throws {
        let manifest = try await ManifestLocator(vault: vault).current(take: take.id)
        var header = manifest.header
        var body = manifest.body
        header.tier = tier
        header.retainUntil = end
        body.tier = tier
        body.retainUntil = end
        let sealed = try ManifestSealer.seal(header: header, body: body, key: manifest.key)
        let tags = ObjectTags(owner: take.ownerID, tier: tier, kind: .manifest, retainUntil: end, region: vault.region, held: held)
        try await vault.store.put(manifest.name, data: sealed, tags: tags, createOnly: false)
        var chunkTags = tags
        chunkTags.kind = .chunk
        for object in try await vault.catalog.objects(ofTake: take.id) where object.kind == .chunk {
            try await vault.store.renew(object.objectName, tags: chunkTags)
        }
        var updated = take
        updated.tier = tier
        updated.retainUntil = end
        try await vault.catalog.updateTake(updated)
    }
}
