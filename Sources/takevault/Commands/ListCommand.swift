import ArgumentParser
import TakeCatalog
import TakePipeline
import TakevaultCore

/// `takevault ls [--owner ID]`: the takes in the vault.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List takes, newest first.")

    @OptionGroup var vault: VaultOptions
    @Option(help: "Only this owner's takes.") var owner: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        do {
            let takes = try vault.open().catalog.takes(owner: owner)
            if json {
                try JSONOutput.print(takes.map(TakeSummary.init))
                return
            }
            var lines = ["take                              owner        tier    ingested              retain until          length    LUFS  file"]
            for take in takes {
                let loudness = take.integratedLUFS.map { String(format1: $0) } ?? "—"
                lines.append([
                    take.id, take.ownerID.padding(12), take.tier.rawValue.padding(7), take.ingestedAt.padding(21),
                    (take.retainUntil ?? "until deleted").padding(21), (String(format1: take.durationS) + " s").padding(9),
                    loudness.padding(5), take.originalName,
                ].joined(separator: " "))
            }
            FileDescriptorOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
        } catch {
            throw report(error, json: json)
        }
    }
}

/// A take as `ls --json` prints it.
struct TakeSummary: Encodable {
    var takeId: String
    var owner: String
    var sessionId: String?
    var tier: Tier
    var file: String
    var ingestedAt: String
    var retainUntil: String?
    var durationS: Double
    var integratedLufs: Double?
    var storedBytes: Int64
    var generation: Int

    init(_ take: TakeRecord) {
        takeId = take.id
        owner = take.ownerID
        sessionId = take.sessionID
        tier = take.tier
        file = take.originalName
        ingestedAt = take.ingestedAt
        retainUntil = take.retainUntil
        durationS = take.durationS
        integratedLufs = take.integratedLUFS
        storedBytes = take.storedBytes
        generation = take.generation
    }
}
