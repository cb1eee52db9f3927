import ArgumentParser
import AudioCodecs
import RelayAPI
import TakevaultCore
import TakePipeline

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `takevault push FILE… --relay URL --owner ID --tier T`: what a relay does, from the command line.
struct PushCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload takes to a `takevault serve` as a relay would: signed, streamed, safe to retry.",
        discussion: """
            Credentials: --key-id or TAKEVAULT_RELAY_KEY_ID, and the secret from --secret-file or \
            TAKEVAULT_RELAY_SECRET. The idempotency key defaults to a hash of the owner and the file's content, so \
            pushing the same file again is a retry that finds the same job. Waits out 503 answers. With --wait, \
            follows each job to its end (exit 3 if rejected, 1 if failed). Several --relay URLs (nodes of one \
            vault): the files are spread over them, and an upload one cannot take (unreachable, 503, 5xx) goes to \
            the next with the same idempotency key.
            """
    )

    @Argument(help: "Audio files to upload.") var files: [String]
    @Option(help: "The relay server's URL, e.g. http://127.0.0.1:8080; repeat it for the nodes of one vault.") var relay: [String]
    @Option(help: "Owner (account) id.") var owner: String
    @Option(help: "The owner's tier.") var tier: Tier
    @Option(help: "Session id.") var session: String?
    @Option(help: #"Take metadata as JSON: {"session_id", "participants": [{"id","role"}], "recorded_at", "daw_transport": {…}}."#)
    var meta: String?
    @Option(help: "Idempotency key (default: derived from owner and content; only with one file).") var idempotencyKey: String?
    @OptionGroup var identity: RelayCredentialOptions
    @Option(help: "Seconds to keep retrying while the server answers 503.") var patience: Int = 600
    @Flag(help: "Follow each job until it is done, rejected or failed.") var wait = false
    @Flag(help: "Print JSON (one object per file; an array for several).") var json = false

    func execute() async throws {
        let credentials = try identity.credentials()
        var takeMetadata = TakeMetadata()
        if let meta { takeMetadata = try TakeMetadata.parse(meta) }
        if let session { takeMetadata.sessionID = session }
        try takeMetadata.validate()
        if idempotencyKey != nil && files.count > 1 { throw ValidationError("--idempotency-key names one upload: give one file.") }
        var metadata = UploadMetadata(owner: owner, tier: tier, sessionID: takeMetadata.sessionID,
                                      participants: takeMetadata.participants.isEmpty ? nil : takeMetadata.participants,
                                      recordedAt: takeMetadata.recordedAt, dawTransport: takeMetadata.dawTransport)
        guard !relay.isEmpty else { throw ValidationError("Give the relay's URL: --relay URL (repeat it for several nodes).") }
        let nodes = RelayFailover(urls: relay, credentials: credentials, httpClient: RelayClient.commandLineHTTPClient)

        var batch = FileBatch<PushDocument>(json: json)
        for (index, file) in files.enumerated() {
            metadata.fileName = file.split(separator: "/").last.map(String.init) ?? file
            var document = PushDocument(file: file)
            do {
                let contentHash = try RelayClient.sha256(file: file)
                let key = idempotencyKey ?? RelayClient.idempotencyKey(owner: owner, contentHash: contentHash)
                let (accepted, client) = try await nodes.upload(file: file, metadata: metadata, idempotencyKey: key, spread: index,
                                                                patience: .seconds(patience))
                document.jobID = accepted.jobID
                document.relay = client.baseURL
                document.duplicate = accepted.duplicate
                document.state = accepted.state
                if !json { FileDescriptorOutput.standardOutput.write("\(file): \(accepted.duplicate ? "already accepted" : "accepted") as \(accepted.jobID)\n") }
                guard wait else {
                    batch.succeeded(document, text: "")
                    continue
                }
                let seconds = (try? AudioProbe.probe(path: file).durationS) ?? 0
                let bar = ProgressBar(label: document.jobID ?? file, audioSeconds: seconds)
                let final = try await nodes.waitForJob(accepted.jobID, preferred: client) { job in
                    if job.state == .processing { bar.update(stageName: job.stage ?? "processing", fraction: (job.percent ?? 0) / 100) }
                    else if job.state == .queued { bar.update(stageName: "queued", fraction: 0) }
                }
                bar.finish()
                document.job = final
                document.state = final.state
                let status: ExitStatus = switch final.state {
                case .rejected, .parked: .rejectedInput
                case .failed: .failure
                case .queued, .processing, .done: .success
                }
                batch.succeeded(document, text: Self.describe(file: file, job: final), status: status)
            } catch {
                batch.failed(document, error: error)
            }
        }
        try batch.finish()
    }

    static func describe(file: String, job: JobDocument) -> String {
        switch job.state {
        case .done:
            let loudness = job.summary?["integrated_lufs"]?.doubleValue.map { String(format1: $0) + " LUFS" } ?? "silent"
            return "\(file): archived as \(job.takeID ?? "?")\(job.alreadyArchived == true ? " (already archived)" : ""); \(loudness)\n"
        case .rejected:
            return "\(file): rejected [\(job.reason?.code ?? "?")]: \(job.reason?.message ?? "")\n"
        default:
            return "\(file): \(job.state.rawValue) [\(job.error?.code ?? "?")]: \(job.error?.message ?? "")\n"
        }
    }
}

/// One file's push as JSON.
struct PushDocument: FileDocument {
    var file: String
    var jobID: String?
    /// The node that acknowledged the upload.
    var relay: String?
    var duplicate: Bool?
    var state: JobState?
    var job: JobDocument?
    var error: ErrorDocument.Detail?

    enum CodingKeys: String, CodingKey { case file, jobID = "job_id", relay, duplicate, state, job, error }
}
