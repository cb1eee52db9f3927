import AudioCodecs
import ObjectStore
import TakeArchive
import TakevaultCore

/// The end of making a take that ingest and reprocess share: the artefacts derived from the master
/// sealed from the work folder, then the manifest sealed and put create-only — the commit point —
/// then indexed in the catalog with its audit event.
struct TakeCommit {
    let vault: Vault

    /// The artefacts derived from the master, sealed from the work folder: `waveform.dat` and
    /// `report.json` first (ingest seals them while the preview renders), then `preview.opus`.
    struct Derived {
        var waveform: Artefact
        var report: Artefact
        var preview: Artefact?

        /// In manifest order, after the master: preview, waveform, report.
        var artefacts: [Artefact] { (preview.map { [$0] } ?? []) + [waveform, report] }
    }

    /// Seals the work folder's waveform and analysis report.
    static func sealAnalysis(work: String, writer: ArtefactWriter, settings: PipelineSettings) async throws -> Derived {
        let waveform = try await writer.write(
            work + "/waveform.dat", kind: .waveform, codec: "audiowaveform-dat", mediaType: "application/octet-stream",
            settings: .object(["samples_per_pixel": .number(Double(settings.waveformZoom)), "bits": .number(Double(settings.waveformBits)), "version": .number(2)]))
        let report = try await writer.write(work + "/report.json", kind: .report, codec: "json", mediaType: "application/json", settings: .object([:]))
        return Derived(waveform: waveform, report: report)
    }

    /// Seals the work folder's preview, recording the figures it was rendered to.
    static func sealPreview(work: String, writer: ArtefactWriter, into derived: inout Derived, measured: PreviewReport) async throws {
        derived.preview = try await writer.write(work + "/preview.opus", kind: .preview, codec: "opus", mediaType: "audio/ogg; codecs=opus",
                                                 settings: try JSONValue.from(measured))
    }

    /// How a commit ended.
    enum Outcome {
        /// This manifest is the take's (or generation's) and is indexed.
        case committed(ManifestLocator.Opened)
        /// Another writer committed the same name first; nothing was stored or indexed here. The
        /// value is what this writer sealed.
        case alreadyCommitted(ManifestLocator.Opened)
    }

    /// Seals `header` and `body` under `sealing`, puts the manifest create-only with `tags`, then
    /// indexes it with `event(name)`. `failpoint`, when given, is reached between the put and the
    /// index (a crash there leaves a take the catalog does not list yet: `catalog rebuild`, or the
    /// take's next ingest, completes it).
    func commit(header: ManifestHeader, body: ManifestBody, sealing: TakeSealing, tags: ObjectTags,
                event: (String) -> AuditEvent, failpoint: String? = nil) async throws -> Outcome {
        let name = ObjectNames.manifest(owner: body.owner, take: body.takeID, generation: header.generation)
        let sealed = try sealing.seal(header: header, body: body)
        // The header as sealed (its format and key version are the sealing's).
        let opened = ManifestLocator.Opened(name: name, header: try ManifestSealer.readHeader(sealed, objectName: name), body: body,
                                            objectBytes: Int64(sealed.count))
        do {
            try await vault.store.put(name, data: sealed, tags: tags, createOnly: true)
        } catch StoreError.alreadyExists {
            return .alreadyCommitted(opened)
        }
        if let failpoint { Failpoint.reach(failpoint) }
        try await index(opened, event: event(name))
        return .committed(opened)
    }

    /// Indexes a committed manifest with its audit event.
    func index(_ manifest: ManifestLocator.Opened, event: AuditEvent) async throws {
        try await CatalogIndexer(catalog: vault.catalog).record(manifest, event: event, at: Timestamp.string(vault.clock.now()))
    }
}
