import AudioCodecs
import AudioDSP
import Crypto
import Logging
import ObjectStore
import TakevaultCore
import TakeArchive
import TakeCatalog

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Ingests an upload: probe → one decode pass (analysis + FLAC master + waveform) → preview chain
/// (second read of the upload) beside sealing the master → seal the preview → store the manifest
/// (create-only: the commit) → catalog.
///
/// Idempotent: the take id is a keyed hash of the upload, so the same file for the same owner is
/// the same take. Nothing half-visible: chunks go first, the manifest last; a crash before the
/// manifest leaves only unreferenced chunks (found by `verify`, removed by the sweep), a crash
/// after it a whole take the catalog learns on the next ingest or rebuild. A rejected upload goes
/// to quarantine with its reason; the upload itself is never modified.
public struct Ingest: Sendable {
    public let vault: Vault
    public static let pipelineVersion = "takevault-pipeline/1"

    public init(vault: Vault) { self.vault = vault }

    public func run(_ request: IngestRequest, progress: @escaping @Sendable (IngestStage, Double) -> Void = { _, _ in }) async throws -> IngestResult {
        let owner = try Identifier.validate(request.owner, kind: "owner id")
        try request.metadata.validate()
        // The owner shared (ingests of one owner run side by side), the vault shared: a key rotation
        // or an erasure waits for this ingest, and this ingest for them.
        // The tier rule: a request names the owner's tier as the service knows it now. When the
        // owner's record says another, that is a tier change, made first with the usual rules and
        // its audit event (docs/OPERATIONS.md) — an owner never has takes under two tiers at once.
        if let record = try await vault.catalog.owner(owner), record.erasedAt == nil, !record.restricted, record.tier != request.tier {
            try await OwnerAdministration(vault: vault).setTier(owner: owner, to: request.tier)
        }
        let result = try await vault.withLock(.owner(owner), .shared) { try await ingest(request, owner: owner, progress: progress) }
        guard !result.created, let end = result.retainUntil.flatMap(Timestamp.date), end <= vault.clock.now() else { return result }
        // The take was already here but its window has ended. Restarting it rewrites its manifest in
        // place, so the owner is taken exclusive (locks are not upgraded: the shared one is released
        // first, and the take is looked at again under the new lock).
        let restarted = try await vault.withLock(.owner(owner), .exclusive) { try await restartRetention(of: result) }
        // Gone meanwhile (a sweep ran between the two locks): archived anew.
        if let restarted { return restarted }
        return try await run(request, progress: progress)
    }

    /// Archives an existing take whose window has ended again, with the retention a new take of its
    /// tier would get, rather than answering with an end that has passed and leaving it to the
    /// next sweep. `nil` when the take is no longer there.
    private func restartRetention(of existing: IngestResult) async throws -> IngestResult? {
        guard let record = try await vault.catalog.take(existing.takeID) else { return nil }
        let now = vault.clock.now()
        var result = existing
        result.retainUntil = record.retainUntil
        guard let end = record.retainUntil.flatMap(Timestamp.date), end <= now else { return result }   // restarted by another upload
        result.retainUntil = vault.settings.retention.retainUntil(tier: record.tier, ingestedAt: now).map(Timestamp.string)
        let held = try await ProtectionTags(vault: vault).heldTakes(owner: record.ownerID)(record.id)
        try await TakeRedating(vault: vault).redate(record, tier: record.tier, retainUntil: result.retainUntil, held: held)
        try await vault.catalog.append(AuditEvent.retentionRestarted(retainUntil: result.retainUntil).record(at: Timestamp.string(now), owner: record.ownerID,
                                                                                                          take: record.id))
        return result
    }

    private func ingest(_ request: IngestRequest, owner: String, progress: @escaping @Sendable (IngestStage, Double) -> Void) async throws -> IngestResult {
        Failpoint.reach(Failpoint.ingestLocked)
        var logger = Logger(label: "takevault.ingest")
        logger[metadataKey: "owner"] = "\(owner)"
        if let record = try await vault.catalog.owner(owner) {
            if record.erasedAt != nil { throw PipelineError.ownerErased(owner) }
            if record.restricted { throw PipelineError.ownerRestricted(owner) }
        }
        let originalName = request.originalName ?? (request.path.split(separator: "/").last.map(String.init) ?? request.path)

        // A device or a pipe would be hashed (and quarantined) forever.
        guard try FileIO.isRegularFile(request.path) else { throw PipelineError.notARegularFile(path: request.path) }

        progress(.hashing, 0)
        let upload = try FileDigest.sha256(request.path)
        let uploadHex = upload.digest.hex
        let key = try await OwnerKeyring(vault: vault).currentOrNewKey(owner: owner, tier: request.tier)
        let takeID = key.takeID(uploadSHA256: upload.digest, relay: request.relayKeyID)
        logger[metadataKey: "take_id"] = "\(takeID)"

        if let existing = try await existingTake(owner: owner, takeID: takeID) {
            logger.info("already ingested", metadata: ["manifest": "\(existing.manifest)"])
            return existing
        }

        // Probe first: a bad upload goes to quarantine before any work.
        let info: AudioFileInfo
        do { info = try AudioProbe.probe(path: request.path) } catch let rejection as UploadRejected {
            throw try await quarantine(request: request, originalName: originalName, owner: owner, sha: uploadHex, rejection: rejection, logger: logger)
        }

        let workFolder = try WorkFolder(in: vault.workDirectory, name: takeID + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36))
        defer { workFolder.remove() }
        let work = workFolder.path

        // Pass 1: decode once into analysis, master and waveform.
        progress(.analysing, 0)
        let pass: MasterPass.Result
        do {
            pass = try MasterPass.run(upload: request.path, masterPath: work + "/master.flac", waveformPath: work + "/waveform.dat",
                                      settings: vault.settings) { progress(.analysing, $0) }
        } catch let rejection as UploadRejected {
            throw try await quarantine(request: request, originalName: originalName, owner: owner, sha: uploadHex, rejection: rejection, logger: logger)
        }
        let reportJSON = try JSONValue.from(pass.report)
        try FileIO.writeNew(work + "/report.json", ManifestSealer.canonicalJSON(pass.report), mode: 0o600)

        let ingestedAt = vault.clock.now()
        let retainUntil = vault.settings.retention.retainUntil(tier: request.tier, ingestedAt: ingestedAt).map(Timestamp.string)
        // Under an owner-wide hold, new objects are born held (the lifecycle backstop skips them).
        let held = try await ProtectionTags(vault: vault).heldTakes(owner: owner)("")
        let tags = ObjectTags(owner: owner, tier: request.tier, kind: .chunk, retainUntil: retainUntil, region: vault.region, held: held)
        // The take's own key (FORMAT.md §9), stored before its first chunk.
        let sealing = try await TakeKeyStore(vault: vault).keyOrNew(owner: key, take: takeID, tags: tags)
        let writer = ArtefactWriter(store: vault.store, sealer: sealing.chunkSealer, chunkSize: vault.settings.chunkSize, tags: tags)
        let settings = vault.settings

        // Pass 2 (the preview) runs beside sealing the master, waveform and report: both cores busy.
        progress(.previewing, 0)
        let masterIsFLAC = pass.flac != nil
        let masterSource = masterIsFLAC ? work + "/master.flac" : request.path
        let masterSettings: JSONValue = masterIsFLAC ? try JSONValue.from(pass.flac!) : .object(["kind": .string(info.sampleKind.rawValue)])
        // A child task, so it runs on whatever executor the caller prefers (the relay gives its
        // workers threads of their own).
        async let previewReport = PreviewChain.render(sourcePath: request.path, outputPath: work + "/preview.opus", analysis: pass.report,
                                                      settings: settings.preview(take: takeID))
        let master = try await writer.write(
            masterSource, kind: .master, codec: masterIsFLAC ? "flac" : "original",
            mediaType: masterIsFLAC ? "audio/flac" : Self.mediaType(info), settings: masterSettings)
        var derived = try await TakeCommit.sealAnalysis(work: work, writer: writer, settings: settings)
        let preview = try await previewReport
        progress(.sealing, 0.5)
        try await TakeCommit.sealPreview(work: work, writer: writer, into: &derived, measured: preview)
        progress(.sealing, 1)
        Failpoint.reach(Failpoint.ingestSealed)

        // Commit: the manifest, create-only.
        progress(.committing, 0)
        let settingsJSON = try JSONValue.from(settings)
        let body = ManifestBody(
            takeID: takeID, owner: owner, sessionID: request.metadata.sessionID, participants: request.metadata.participants,
            recordedAt: request.metadata.recordedAt, ingestedAt: Timestamp.string(ingestedAt), tier: request.tier,
            retainUntil: retainUntil,
            original: OriginalUpload(fileName: originalName, bytes: upload.bytes, sha256: uploadHex, probe: try JSONValue.from(info)),
            dawTransport: request.metadata.dawTransport, analysis: reportJSON, preview: try JSONValue.from(preview),
            artefacts: [master] + derived.artefacts,
            pipeline: PipelineRecord(version: Self.pipelineVersion, settings: settingsJSON,
                                     settingsHash: Array(SHA256.hash(data: try ManifestSealer.canonicalJSON(settings))).hex,
                                     codecVersions: CodecVersions.all),
            generation: 1)
        let header = ManifestHeader(takeID: takeID, owner: owner, tier: request.tier, retainUntil: retainUntil, generation: 1, keyVersion: sealing.keyVersion)
        var manifestTags = tags
        manifestTags.kind = .manifest
        let manifestName: String
        switch try await TakeCommit(vault: vault).commit(header: header, body: body, sealing: sealing, tags: manifestTags,
                                                          event: { .ingest(manifest: $0) }, failpoint: Failpoint.ingestCommitted) {
        case .committed(let committed):
            manifestName = committed.name
        case .alreadyCommitted(let sealed):
            logger.notice("another ingest committed this take first")
            if let existing = try await existingTake(owner: owner, takeID: takeID) { return existing }
            // Gone again already (a sweep or an erasure between the two): index this one, as sealed.
            try await TakeCommit(vault: vault).index(sealed, event: .ingest(manifest: sealed.name))
            manifestName = sealed.name
        }
        logger.info("ingested", metadata: ["manifest": "\(manifestName)", "duration_s": "\(pass.report.durationS)"])
        progress(.committing, 1)
        return IngestResult(takeID: takeID, owner: owner, tier: request.tier, retainUntil: retainUntil, created: true,
                            manifest: manifestName, analysis: reportJSON, preview: body.preview)
    }

    /// The take if its manifest is already in the store (completing the catalog if a crash left
    /// it behind).
    private func existingTake(owner: String, takeID: String) async throws -> IngestResult? {
        let locator = ManifestLocator(vault: vault)
        guard let latest = try await locator.manifests(owner: owner, take: takeID).last else { return nil }
        let opened = try await locator.open(name: latest.name, owner: owner)
        if try await vault.catalog.take(takeID)?.generation != opened.header.generation {
            try await TakeCommit(vault: vault).index(ManifestLocator.Opened(name: opened.name, header: opened.header, body: opened.body, objectBytes: opened.objectBytes),
                                               event: .catalogCompleted(manifest: opened.name))
        }
        return IngestResult(takeID: takeID, owner: owner, tier: opened.header.tier, retainUntil: opened.header.retainUntil, created: false,
                            manifest: opened.name, analysis: opened.body.analysis, preview: opened.body.preview)
    }

    private func quarantine(request: IngestRequest, originalName: String, owner: String, sha: String, rejection: UploadRejected, logger: Logger) async throws -> Error {
        if request.quarantineLocally {
            let folder = try Quarantine(vault: vault).keep(upload: request.path, originalName: originalName, owner: owner, uploadSHA256: sha, error: rejection)
            logger.warning("upload rejected", metadata: ["code": "\(rejection.code)", "quarantine": "\(folder)"])
        } else {
            logger.warning("upload rejected; kept where the caller holds it", metadata: ["code": "\(rejection.code)"])
        }
        try await vault.catalog.append(AuditEvent.quarantine(code: rejection.code, uploadSHA256: sha).record(at: Timestamp.string(vault.clock.now()), owner: owner))
        return rejection
    }

    static func mediaType(_ info: AudioFileInfo) -> String {
        switch info.format {
        case "wav", "wavex", "rf64": "audio/wav"
        case "aiff": "audio/aiff"
        case "flac": "audio/flac"
        case "ogg": "audio/ogg"
        case "mpeg": "audio/mpeg"
        default: "application/octet-stream"
        }
    }
}

extension JSONValue {
    /// Any `Encodable` as a JSON value (via its JSON encoding, snake_case keys).
    static func from<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }

    /// This value decoded as `T` (through its JSON encoding).
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: JSONEncoder().encode(self))
    }
}
