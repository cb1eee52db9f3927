import ArgumentParser
import TakePipeline

/// `takevault verify [TAKE…] [--read-data]`.
struct VerifyCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check keys, manifests and chunks (with --read-data: decrypt and hash every chunk). Exit 4 on any failure.")

    @OptionGroup var vault: VaultOptions
    @Argument(help: "Takes to check (default: all).") var takes: [String] = []
    @Flag(help: "Read, decrypt and hash every chunk, and every artefact as a whole.") var readData = false
    @Flag(help: "Print JSON.") var json = false

    func execute() async throws {
        let result = try await Verify(vault: try vault.open()).run(takes: takes, readData: readData)
        if json {
            try JSONOutput.print(result)
        } else {
            var lines = ["\(result.takesChecked) take(s), \(result.objectsChecked) object(s) checked\(readData ? ", \(result.bytesRead) bytes read" : ""): \(result.ok ? "ok" : "\(result.failures.count) failure(s)")"]
            for failure in result.failures { lines.append("FAIL \(failure.message) [\(failure.code)]") }
            if !result.orphans.isEmpty { lines.append("\(result.orphans.count) object(s) no manifest references — chunks and take keys left by an interrupted ingest; the sweep removes them") }
            for take in result.uncatalogued { lines.append("take \(take) is in the store but not the catalog (re-ingest or `takevault catalog rebuild`)") }
            FileDescriptorOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
        }
        if !result.ok { throw ExitStatus.integrity.exitCode }
    }
}
