import ArgumentParser
import TakePipeline

/// `takevault inspect TAKE`: a take's manifest, opened.
struct InspectCommand: ReportingCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a take's manifest: metadata, analysis, artefacts and chunks.")

    @OptionGroup var vault: VaultOptions
    @Argument(help: "The take id.") var take: String
    @Flag(help: "Print the whole manifest (header and body) as JSON.") var json = false

    func execute() async throws {
        let manifest = try await Inspect(vault: try vault.open()).run(take: take)
        if json {
            try JSONOutput.print(manifest)
            return
        }
        let body = manifest.body
        var lines = ["take \(body.takeID) (generation \(body.generation))"]
        lines.append("  owner         \(body.owner) (\(manifest.header.tier)), kept until \(manifest.header.retainUntil ?? "deleted")")
        if let session = body.sessionID { lines.append("  session       \(session)") }
        for participant in body.participants { lines.append("  participant   \(participant.id) (\(participant.role))") }
        lines.append("  file          \(body.original.fileName), \(body.original.bytes) bytes, sha256 \(body.original.sha256)")
        lines.append("  ingested      \(body.ingestedAt)\(body.recordedAt.map { ", recorded \($0)" } ?? "")")
        if let loudness = body.analysis["integrated_lufs"]?.doubleValue { lines.append("  loudness      \(String(format1: loudness)) LUFS") }
        for artefact in body.artefacts {
            lines.append("  \(artefact.kind.rawValue.padding(13)) \(artefact.codec), \(artefact.bytes) bytes in \(artefact.chunks.count) chunk(s), sha256 \(artefact.sha256)")
        }
        lines.append("  pipeline      \(body.pipeline.version), settings \(body.pipeline.settingsHash.prefix(16))")
        FileDescriptorOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
    }
}
