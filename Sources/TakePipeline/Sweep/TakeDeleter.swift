import ObjectStore
import TakeArchive
import TakeCatalog

/// Deletes takes in the crash-safe order (OPERATIONS.md): the owner marked for a re-key; every
/// manifest, oldest generation first (the take disappears with its current manifest, atomically);
/// each take's own key (format 3: from then on nothing of it opens); then the chunks no remaining
/// manifest of the owner references; then the catalog row, with an audit event. Rerunning after
/// a crash at any point finishes the job: a take without manifests is gone, its key and chunks are
/// orphans (a re-key never rewraps a key without a manifest). So a stored manifest always has its
/// key: one without is damage, and readers stop at it. The caller holds the owner exclusively.
struct TakeDeleter {
    let vault: Vault

    struct Outcome {
        var objects: [String] = []
        var bytes: Int64 = 0
    }

    /// Deletes `takes` (all of one owner) and returns what was removed.
    func delete(takes: [String], owner: String, reason: String) async throws -> Outcome {
        var outcome = Outcome()
        let locator = ManifestLocator(vault: vault)
        // The chunks every generation of these takes uses, read before their manifests go: a
        // generation a reprocess left for retirement names chunks the catalog no longer lists.
        var ofDeletedTakes = try await objectNames(of: takes)
        // A take with its own key shares no chunk with any other take (its chunk ids derive from
        // that key): only takes from before per-take keys, or manifests that do not open, need the
        // owner's other manifests read to know which chunks stay.
        var mayShareChunks = false
        for take in takes {
            for manifest in try await locator.manifests(owner: owner, take: take) {
                // A manifest that does not open leaves its chunks to the orphan rule (after the grace period).
                guard let opened = try? await locator.open(name: manifest.name, owner: owner) else {
                    mayShareChunks = true
                    continue
                }
                if opened.header.format < ManifestSealer.takeKeyFormat { mayShareChunks = true }
                for artefact in opened.body.artefacts {
                    for chunk in artefact.chunks { ofDeletedTakes.insert(ObjectNames.chunk(owner: owner, id: chunk.id)) }
                }
            }
        }
        // Before any key goes: a crash after a key is gone must still leave the owner due for the
        // re-key that makes earlier copies of the store unreadable (FORMAT.md §9).
        var keyNames = Set<String>()
        for take in takes where try await vault.store.head(ObjectNames.takeKey(owner: owner, take: take)) != nil {
            keyNames.insert(ObjectNames.takeKey(owner: owner, take: take))
        }
        if !keyNames.isEmpty {
            try await OwnerPolicyStore(vault: vault).markRekeyDue(owner: owner)
        }
        for take in takes {
            for manifest in try await locator.manifests(owner: owner, take: take) {
                if let info = try await vault.store.head(manifest.name) { outcome.bytes += info.size }
                try await vault.store.delete(manifest.name)
                outcome.objects.append(manifest.name)
            }
            let keyName = ObjectNames.takeKey(owner: owner, take: take)
            if keyNames.contains(keyName) {
                try await vault.store.delete(keyName)
                outcome.objects.append(keyName)
            }
        }
        let referenced = mayShareChunks ? try await referencedChunks(owner: owner) : []
        // Only chunks of the deleted takes: orphans of unrelated, still-running ingests wait for
        // their grace period (the sweep's orphan rule).
        var chunks: [String] = []
        for info in try await vault.store.list(prefix: ObjectNames.chunksPrefix(owner: owner)) where !referenced.contains(info.name) {
            guard ofDeletedTakes.contains(info.name) else { continue }
            chunks.append(info.name)
            outcome.bytes += info.size
        }
        // One request per thousand on S3.
        try await vault.store.delete(chunks)
        outcome.objects += chunks
        let now = Timestamp.string(vault.clock.now())
        for take in takes {
            try await vault.catalog.deleteTake(take, event: AuditEvent.deleteTake(reason: reason).record(at: now, owner: owner, take: take))
        }
        return outcome
    }

    /// Chunk names referenced by any manifest of `owner` in the store (the truth, not the catalog:
    /// a take whose catalog row a crash lost still protects its chunks). Manifests named in
    /// `excluding`, and every manifest of the takes in `excludingTakes`, are left out: a plan that
    /// will delete them asks what stays referenced once they are gone.
    func referencedChunks(owner: String, excluding: Set<String> = [], excludingTakes: Set<String> = []) async throws -> Set<String> {
        var referenced = Set<String>()
        let locator = ManifestLocator(vault: vault)
        for info in try await vault.store.list(prefix: ObjectNames.takesPrefix(owner: owner)) {
            guard case .manifest(_, let take, _) = ObjectNames.parse(info.name), !excluding.contains(info.name), !excludingTakes.contains(take) else { continue }
            // A manifest that does not open (its key among the causes) stops the caller: which
            // chunks it names is unknown, and none may be taken for orphans.
            let opened = try await locator.open(name: info.name, owner: owner)
            for artefact in opened.body.artefacts {
                for chunk in artefact.chunks { referenced.insert(ObjectNames.chunk(owner: owner, id: chunk.id)) }
            }
        }
        return referenced
    }

    /// The objects the catalog records for `takes`, read once.
    func objectNames(of takes: [String]) async throws -> Set<String> {
        var names = Set<String>()
        for take in takes { names.formUnion(try await vault.catalog.objects(ofTake: take).map(\.objectName)) }
        return names
    }
}
