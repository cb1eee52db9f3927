import ArgumentParser
import RelayAPI
import TakevaultCore

/// `takevault fetch`: what a collaborator's service does with the delivery API, from the command
/// line — a take's summary, an artefact (or a range of it) into a file, a session's takes.
struct FetchCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Get takes back out of a `takevault serve` as a relay would: summaries, artefacts, sessions.",
        discussion: """
            fetch TAKE prints the take's summary; with --artefact and -o it streams that artefact into the file \
            (moved into place only when complete; a whole artefact only if it hashes to its entity tag). --range \
            takes one byte range as HTTP writes it: 0-1023, 4096- or -512 (the last 512 bytes). fetch --session S \
            --owner O lists a session's takes, every page. Credentials as for push.
            """
    )

    @Argument(help: "The take id.") var take: String?
    @Option(help: "The relay server's URL, e.g. http://127.0.0.1:8080.") var relay: String
    @Option(help: "preview, master, waveform or report.") var artefact: String?
    @Option(name: .shortAndLong, help: "File to write the artefact to.") var output: String?
    @Option(help: "One byte range: FIRST-LAST, FIRST- or -SUFFIX (bytes, inclusive; write --range=-SUFFIX).") var range: String?
    @Option(help: "List this session's takes (with --owner).") var session: String?
    @Option(help: "The session's owner.") var owner: String?
    @OptionGroup var identity: RelayCredentialOptions
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if session != nil {
            guard take == nil, artefact == nil, owner != nil else { throw ValidationError("--session lists a session: give --owner, and no take or artefact.") }
            return
        }
        guard take != nil else { throw ValidationError("Give a take id, or --session with --owner.") }
        guard (artefact == nil) == (output == nil) else { throw ValidationError("--artefact and --output go together.") }
        if range != nil, artefact == nil { throw ValidationError("--range needs --artefact.") }
        if let range, !Self.isRange(range) { throw ValidationError("--range is FIRST-LAST, FIRST- or -SUFFIX, in bytes.") }
    }

    static func isRange(_ text: String) -> Bool {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { $0.count <= 19 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
        return parts.count == 2 && (!parts[0].isEmpty || !parts[1].isEmpty) && digits(parts[0]) && digits(parts[1])
    }

    func execute() async throws {
        let client = RelayClient(baseURL: relay, credentials: try identity.credentials(), httpClient: RelayClient.commandLineHTTPClient)
        if let session, let owner {
            var pages: [JSONValue] = []
            var after: String?
            repeat {
                let page = try await client.sessionTakes(owner: owner, session: session, after: after, limit: 200)
                pages.append(page)
                after = page["next"]?.stringValue
            } while after != nil
            let takes = pages.flatMap { $0["takes"]?.arrayValue ?? [] }
            if json { return try JSONOutput.print(JSONValue.object(["owner": .string(owner), "session": .string(session), "takes": .array(takes)])) }
            for take in takes {
                let id = take["take_id"]?.stringValue ?? "?", file = take["file"]?.stringValue ?? ""
                FileDescriptorOutput.standardOutput.write("\(id)  \(take["ingested_at"]?.stringValue ?? "")  \(file)\n")
            }
            return
        }
        guard let take else { return }
        guard let artefact, let output else {
            let summary = try await client.takeSummary(take)
            if json { return try JSONOutput.print(summary) }
            FileDescriptorOutput.standardOutput.write(Self.describe(summary))
            return
        }
        let downloaded = try await client.download(take: take, artefact: artefact, range: range.map { "bytes=" + $0 }, to: output)
        if json {
            return try JSONOutput.print(FetchDocument(takeID: take, artefact: artefact, file: output, bytes: downloaded.bytes, sha256: downloaded.sha256,
                                                      contentRange: downloaded.contentRange, contentType: downloaded.contentType, whole: downloaded.status == 200))
        }
        FileDescriptorOutput.standardOutput.write("\(output): \(downloaded.bytes) bytes of \(take)'s \(artefact)\(downloaded.contentRange.map { " (\($0))" } ?? ", checked against its SHA-256")\n")
    }

    static func describe(_ summary: JSONValue) -> String {
        var text = "\(summary["take_id"]?.stringValue ?? "?")  owner \(summary["owner"]?.stringValue ?? "?")  \(summary["tier"]?.stringValue ?? "")"
        text += "  kept until \(summary["retain_until"]?.stringValue ?? "deleted")\n"
        for entry in summary["artefacts"]?.arrayValue ?? [] {
            text += "  \(entry["kind"]?.stringValue ?? "?")  \(entry["media_type"]?.stringValue ?? "")  \(entry["bytes"]?.doubleValue.map { String(Int64($0)) } ?? "?") bytes  \(entry["sha256"]?.stringValue ?? "")\n"
        }
        return text
    }
}

/// `fetch --artefact … --json`.
struct FetchDocument: Encodable {
    var takeID: String
    var artefact: String
    var file: String
    var bytes: Int64
    var sha256: String
    var contentRange: String?
    var contentType: String?
    /// The whole artefact, checked against its SHA-256 (not a range).
    var whole: Bool

    enum CodingKeys: String, CodingKey {
        case takeID = "take_id", artefact, file, bytes, sha256, contentRange = "content_range", contentType = "content_type", whole
    }
}
