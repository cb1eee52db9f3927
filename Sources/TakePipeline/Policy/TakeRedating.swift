import ObjectStore
import TakeArchive
import TakeCatalog
import TakevaultCore

/// Gives a take a new tier and end of retention everywhere it is recorded: the manifest is
/// rewritten with the new header (same generation), every chunk it names is renewed with the new
/// tags (renewed, not only re-tagged: the S3 lifecycle backstop counts its window from the last
/// write), and the catalog row follows — indexed again from that manifest, so a catalog that was
/// behind the store (a reprocess cut off between its commit and its index) is brought in step
/// rather than trusted for the chunk list. Used by a tier change and by an upload of a take whose
/// window had ended.
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
        let sealed = try manifest.sealing.seal(header: header, body: body)
        let tags = ObjectTags(owner: take.ownerID, tier: tier, kind: .manifest, retainUntil: end, region: vault.region, held: held)
        try await vault.store.put(manifest.name, data: sealed, tags: tags, createOnly: false)
        var chunkTags = tags
        chunkTags.kind = .chunk
        var renewed = Set<String>()
        for artefact in body.artefacts {
            for chunk in artefact.chunks where renewed.insert(chunk.id.hex).inserted {
                try await vault.store.renew(ObjectNames.chunk(owner: take.ownerID, id: chunk.id), tags: chunkTags)
            }
        }
        try await CatalogIndexer(catalog: vault.catalog).record(
            ManifestLocator.Opened(name: manifest.name, header: header, body: body, objectBytes: Int64(sealed.count)), event: nil,
            at: Timestamp.string(vault.clock.now()))
    }
}
