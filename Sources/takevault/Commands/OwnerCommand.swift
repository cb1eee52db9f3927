import ArgumentParser
import TakePipeline
import TakevaultCore

/// `takevault owner tier|hold|restrict|erase|export …`: the privacy policy's per-owner operations.
struct OwnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owner", abstract: "Per-owner operations of the privacy policy.",
        subcommands: [TierCommand.self, HoldCommand.self, RestrictCommand.self, EraseCommand.self, ExportCommand.self])

    struct TierCommand: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "tier", abstract: "Change an owner's tier; every take's retention is recomputed (docs/OPERATIONS.md).")
        @OptionGroup var vault: VaultOptions
        @Argument(help: "Owner id.") var owner: String
        @Argument(help: "The new tier.") var tier: Tier
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let changed = try await OwnerAdministration(vault: try vault.open()).setTier(owner: owner, to: tier)
            if json {
                try JSONOutput.print(TierDocument(owner: owner, tier: tier, takes: changed.map { TierDocument.Take(takeId: $0.take, retainUntil: $0.retainUntil) }))
            } else {
                FileDescriptorOutput.standardOutput.write("\(owner) is now \(tier); \(changed.count) take(s) re-dated\n")
            }
        }
    }

    struct HoldCommand: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "hold", abstract: "Place (or --lift) a hold: nothing it covers is deleted until it is lifted.")
        @OptionGroup var vault: VaultOptions
        @Argument(help: "Owner id.") var owner: String
        @Option(help: "Hold one take instead of all of the owner's.") var take: String?
        @Option(help: "Why (required to place a hold).") var reason: String?
        @Option(help: "Who sets or lifts it.") var by: String = "operator"
        @Flag(help: "Lift the owner's holds (or the take's, with --take; or one, with --id).") var lift = false
        @Option(help: "The hold to lift.") var id: String?
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let admin = OwnerAdministration(vault: try vault.open())
            if lift {
                let lifted = try await admin.liftHolds(owner: owner, take: take, holdID: id, by: by)
                if json { try JSONOutput.print(["lifted": lifted]) } else { FileDescriptorOutput.standardOutput.write("lifted \(lifted.count) hold(s)\n") }
            } else {
                guard let reason else { throw ValidationError("--reason is required to place a hold") }
                let hold = try await admin.hold(owner: owner, take: take, reason: reason, by: by)
                if json { try JSONOutput.print(["hold": hold]) } else { FileDescriptorOutput.standardOutput.write("hold \(hold) placed on \(take ?? owner)\n") }
            }
        }
    }

    struct RestrictCommand: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "restrict", abstract: "Restrict (or --lift) processing: no ingest, reprocess or export with audio; data kept.")
        @OptionGroup var vault: VaultOptions
        @Argument(help: "Owner id.") var owner: String
        @Flag(help: "Lift the restriction.") var lift = false
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            try await OwnerAdministration(vault: try vault.open()).restrict(owner: owner, lift: lift)
            if json { try JSONOutput.print(["owner": owner, "restricted": lift ? "false" : "true"]) } else {
                FileDescriptorOutput.standardOutput.write("\(owner): processing \(lift ? "no longer restricted" : "restricted")\n")
            }
        }
    }

    struct EraseCommand: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase an owner: keys destroyed at once (and the master key rotated when it is the vault's own master.key file), every object deleted, an anonymous tombstone kept a year.")
        @OptionGroup var vault: VaultOptions
        @Argument(help: "Owner id.") var owner: String
        @Flag(help: "Print JSON.") var json = false

        func execute() async throws {
            let result = try await Erasure(vault: try vault.open()).erase(owner: owner)
            if json { try JSONOutput.print(result) } else {
                FileDescriptorOutput.standardOutput.write("erased: \(result.objectsDeleted) object(s) deleted; tombstone \(result.tombstone)\n")
            }
        }
    }

    struct ExportCommand: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Export everything held about an owner as JSON (docs/OPERATIONS.md), with --with-audio their masters too.")
        @OptionGroup var vault: VaultOptions
        @Argument(help: "Owner id.") var owner: String
        @Option(name: .shortAndLong, help: "Folder to write export.json (and audio/) into.") var output: String
        @Flag(help: "Also restore every take's master into audio/.") var withAudio = false
        @Option(help: "Octal mode of the files written (default 600; folders get x where readable, 700).") var fileMode: String?
        @Flag(help: "Print JSON (a summary).") var json = false

        func validate() throws { _ = try OutputPermissions.parse(fileMode) }

        func execute() async throws {
            let document = try await Export(vault: try vault.open()).run(owner: owner, to: output, withAudio: withAudio,
                                                                          permissions: try OutputPermissions.parse(fileMode))
            if json { try JSONOutput.print(["export": output + "/export.json", "takes": "\(document.takes.count)"]) } else {
                FileDescriptorOutput.standardOutput.write("\(output)/export.json: \(document.takes.count) take(s)\(withAudio ? ", \(document.audio.count) master(s) in audio/" : "")\n")
            }
        }
    }
}

struct TierDocument: Encodable {
    struct Take: Encodable {
        var takeId: String
        var retainUntil: String?
    }

    var owner: String
    var tier: Tier
    var takes: [Take]
}
