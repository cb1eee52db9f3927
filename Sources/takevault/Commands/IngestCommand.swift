import ArgumentParser
import AudioCodecs
import TakevaultCore
import TakePipeline

/// `takevault ingest FILE… --owner ID --tier free|pro|studio`: archive takes.
struct IngestCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Analyse, master, preview, seal and store takes; print each take's id and report.",
        discussion: """
            Ingesting the same file again for the same owner gives the same take (nothing is duplicated). A file \
            takevault cannot take goes to <vault>/quarantine with its reason (exit 3). Settings come from the \
            vault's config.json and TAKEVAULT_* variables; the flags below override them.
            """
    )

    @OptionGroup var vault: VaultOptions
    @Argument(help: "Audio files to ingest.") var files: [String]
    @Option(help: "Owner (account) id.") var owner: String
    @Option(help: "The owner's tier.") var tier: Tier
    @Option(help: "Session id.") var session: String?
    @Option(help: #"Take metadata as JSON: {"session_id", "participants": [{"id","role"}], "recorded_at", "daw_transport": {…}}."#)
    var meta: String?
    @Option(parsing: .unconditional, help: "Preview loudness target, LUFS.") var targetLufs: Double?
    @Option(parsing: .unconditional, help: "Preview true-peak ceiling, dBTP.") var ceilingDbtp: Double?
    @Option(help: "Opus bitrate, bit/s.") var opusBitrate: Int?
    @Option(help: "Opus complexity, 0–10.") var opusComplexity: Int?
    @Option(help: "FLAC compression level, 0–8.") var flacLevel: Int?
    @Option(help: "Chunk size in bytes.") var chunkSize: Int?
    @Option(help: "Waveform samples per pixel.") var waveformZoom: Int?
    @Flag(help: "Print JSON (the take id and report; an array for several files).") var json = false

    func execute() async throws {
        var metadata = TakeMetadata()
        if let meta { metadata = try TakeMetadata.parse(meta) }
        if let session { metadata.sessionID = session }
        try metadata.validate()
        let opened = try vault.open { settings in
            if let targetLufs { settings.targetLUFS = targetLufs }
            if let ceilingDbtp { settings.ceilingDBTP = ceilingDbtp }
            if let opusBitrate { settings.opusBitrate = opusBitrate }
            if let opusComplexity { settings.opusComplexity = opusComplexity }
            if let flacLevel { settings.flacLevel = flacLevel }
            if let chunkSize { settings.chunkSize = chunkSize }
            if let waveformZoom { settings.waveformZoom = waveformZoom }
        }
        let ingest = Ingest(vault: opened)
        var batch = FileBatch<IngestDocument>(json: json)
        for file in files {
            let seconds = (try? AudioProbe.probe(path: file).durationS) ?? 0
            let bar = ProgressBar(label: file.split(separator: "/").last.map(String.init) ?? file, audioSeconds: seconds)
            do {
                defer { bar.finish() }
                let result = try await ingest.run(IngestRequest(path: file, owner: owner, tier: tier, metadata: metadata)) { stage, fraction in
                    bar.update(stage: stage, fraction: fraction)
                }
                batch.succeeded(IngestDocument(file: file, result: result), text: IngestText.render(file: file, result: result))
            } catch {
                batch.failed(IngestDocument(file: file), error: error)
            }
        }
        try batch.finish()
    }
}

/// One file's ingest as JSON: the result's keys plus `file`, or `file` and `error`.
struct IngestDocument: FileDocument {
    var file: String
    var result: IngestResult? = nil
    var error: ErrorDocument.Detail? = nil

    private enum CodingKeys: String, CodingKey { case file, error }

    func encode(to encoder: Encoder) throws {
        try result?.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

enum IngestText {
    static func render(file: String, result: IngestResult) -> String {
        let loudness = result.analysis["integrated_lufs"]?.doubleValue.map { String(format1: $0) + " LUFS" } ?? "silent"
        let preview = result.preview.map { preview -> String in
            let level = preview["integrated_lufs"]?.doubleValue.map { String(format1: $0) + " LUFS" } ?? "—"
            let peak = preview["true_peak_dbtp"]?.doubleValue.map { String(format1: $0) + " dBTP" } ?? "—"
            return "preview \(level), \(peak)"
        } ?? ""
        let retention = result.retainUntil.map { "kept until \($0)" } ?? "kept until deleted"
        let state = result.created ? "ingested" : "already ingested"
        return "\(file): \(state) as \(result.takeID) (\(result.owner), \(result.tier), \(retention)); \(loudness); \(preview)\n"
    }
}
