import ArgumentParser
import RelayAPI
import RelayServer
import TakePipeline
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `takevault relay add-key ID`: let a relay upload to `takevault serve`.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Manage the relays allowed to upload to `takevault serve`, and its queue.",
        subcommands: [AddKey.self, Jobs.self]
    )

    struct Jobs: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "jobs",
            abstract: "List the relay's jobs that are waiting, parked or given up; --cancel one; --export-upload one's upload.",
            discussion: "A job whose attempt failed for a reason that may pass stays queued and is retried with a growing delay (at most 5 minutes) for as long as its upload is kept; cancel it to give up. A rejected or cancelled job's upload stays staged in the store, sealed, as its quarantine (quarantine_days); --export-upload JOB --out FILE writes it out as received (recorded in the audit log). Works beside a running `serve`."
        )

        @OptionGroup var vault: VaultOptions
        @Option(parsing: .upToNextOption, help: "States to list (default: queued processing parked failed).") var state: [JobState] = [.queued, .processing, .parked, .failed]
        @Option(help: ArgumentHelp("Cancel this waiting (queued or parked) job.", valueName: "job-id")) var cancel: String?
        @Option(help: ArgumentHelp("Write this job's held upload (rejected, cancelled or waiting) to --out.", valueName: "job-id")) var exportUpload: String?
        @Option(help: ArgumentHelp("Where --export-upload writes (a new file, mode 0600).", valueName: "file")) var out: String?
        @Option(help: "Who cancels or exports (recorded with the job or in the audit log).") var by: String = "operator"
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if exportUpload != nil && out == nil { throw ValidationError("--export-upload needs --out FILE.") }
            if exportUpload != nil && cancel != nil { throw ValidationError("--cancel and --export-upload are separate runs.") }
        }

        func execute() async throws {
            let queue = RelayJobQueue(vault: try vault.open())
            if let exportUpload, let out {
                let bytes = try await queue.exportUpload(exportUpload, to: out, by: by)
                if json { try JSONOutput.print(ExportedUpload(jobID: exportUpload, path: out, bytes: bytes)) } else {
                    FileDescriptorOutput.standardOutput.write("\(exportUpload): \(bytes) bytes written to \(out)\n")
                }
                return
            }
            if let cancel {
                let job = try await queue.cancel(cancel, by: by)
                if json { try JSONOutput.print(job) } else { FileDescriptorOutput.standardOutput.write("\(job.jobID): cancelled; its upload is kept as its quarantine\n") }
                return
            }
            let jobs = try await queue.list(states: state)
            if json { try JSONOutput.print(jobs); return }
            for job in jobs {
                var line = "\(job.jobID)  \(job.state.rawValue)  owner \(job.owner ?? "-")  attempts \(job.attempts)  since \(job.updatedAt)"
                if let retryAt = job.retryAt { line += "  retry at \(retryAt)" }
                if let problem = job.error ?? job.reason { line += "  \(problem.code): \(problem.message)" }
                FileDescriptorOutput.standardOutput.write(line + "\n")
            }
        }
    }

    struct AddKey: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-key",
            abstract: "Create a relay key in <vault>/relays.json and print its secret (shown only this once).",
            discussion: "The relay signs requests with the secret: give it TAKEVAULT_RELAY_KEY_ID and TAKEVAULT_RELAY_SECRET. Restart `serve` to load new keys."
        )

        @OptionGroup var vault: VaultOptions
        @Argument(help: "The relay's key id (letters, digits, '-', '_', '.').") var keyID: String
        @Option(help: ArgumentHelp(
            "Owners the relay may upload for: owner ids, prefixes ending in '*' (eu-*), or '*' for every owner. Repeat or separate with commas.",
            valueName: "pattern"))
        var owners: [String] = []
        @Option(help: "URL that receives each job's final state (signed POST; http or https).") var callbackURL: String?
        @Flag(help: "Print JSON: {\"key_id\", \"secret\", \"owners\"}.") var json = false

        func validate() throws {
            guard !owners.isEmpty else { throw ValidationError("--owners is required: name the owners this relay may upload for ('*' for all)") }
        }

        func execute() async throws {
            let opened = try vault.open()
            let path = opened.root + "/relays.json"
            var random = SystemRandomNumberGenerator()
            let secret = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
            let patterns = owners.flatMap { $0.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) } }
            try RelayKeyFile.add(RelayKeyFile.Entry(keyID: keyID, secret: secret, owners: patterns, callbackURL: callbackURL), to: path)
            if json {
                try JSONOutput.print(AddedKey(keyID: keyID, secret: secret, owners: patterns))
            } else {
                FileDescriptorOutput.standardOutput.write(
                    "relay \(keyID) added to \(path) (owners: \(patterns.joined(separator: ",")))\nTAKEVAULT_RELAY_KEY_ID=\(keyID)\nTAKEVAULT_RELAY_SECRET=\(secret)\n")
            }
        }
    }
}

/// `relay jobs --export-upload --json`: what was written where.
struct ExportedUpload: Encodable {
    var jobID: String
    var path: String
    var bytes: Int64

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", path, bytes
    }
}

struct AddedKey: Encodable {
    var keyID: String
    var secret: String
    var owners: [String]

    enum CodingKeys: String, CodingKey { case keyID = "key_id", secret, owners }
}
