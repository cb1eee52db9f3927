import TakeArchive
import TakeCatalog

extension ManifestLocator {
    /// A manifest's parts, however obtained (just sealed, or read back).
    struct Opened: Sendable {
        var name: String
        var header: ManifestHeader
        var body: ManifestBody
        var objectBytes: Int64
    }
}

/// Turns manifests into catalog rows.
struct CatalogIndexer {
    let catalog: any Catalog

    func record(_ manifest: ManifestLocator.Opened, event: AuditEvent?, at: String) async throws {
        let body = manifest.body
        try await catalog.ensureOwner(OwnerRecord(id: body.owner, tier: manifest.header.tier, createdAt: body.ingestedAt))
        var objects = [TakeObjectRecord(takeID: body.takeID, objectName: manifest.name, kind: .manifest, size: manifest.objectBytes)]
        var seen = Set<String>()
        for artefact in body.artefacts {
            for chunk in artefact.chunks {
                let name = ObjectNames.chunk(owner: body.owner, id: chunk.id)
                if seen.insert(name).inserted {
                    objects.append(TakeObjectRecord(takeID: body.takeID, objectName: name, kind: .chunk, size: Int64(chunk.size.addingReportingOverflow(ChunkSealer.overhead).partialValue)))
                }
            }
        }
        let take = TakeRecord(
            id: body.takeID, ownerID: body.owner, sessionID: body.sessionID, tier: manifest.header.tier, originalName: body.original.fileName,
            uploadSHA256: body.original.sha256, uploadBytes: body.original.bytes, recordedAt: body.recordedAt, ingestedAt: body.ingestedAt,
            retainUntil: manifest.header.retainUntil, generation: manifest.header.generation, manifestName: manifest.name,
            durationS: body.analysis["duration_s"]?.doubleValue ?? 0, integratedLUFS: body.analysis["integrated_lufs"]?.doubleValue,
            storedBytes: body.artefacts.reduce(0) { $0 + $1.bytes })
        let eventRecord = try event?.record(at: at, owner: body.owner, take: body.takeID)
        try await catalog.recordTake(take, objects: objects, event: eventRecord)
    }
}
