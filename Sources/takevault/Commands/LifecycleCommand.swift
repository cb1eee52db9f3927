import ArgumentParser
import TakePipeline

/// `takevault lifecycle print`.
struct LifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle", abstract: "The S3 lifecycle backstop for the retention policy.", subcommands: [Print.self])

    struct Print: ReportingCommand {
        static let configuration = CommandConfiguration(
            commandName: "print",
            abstract: "Print the S3 lifecycle configuration equivalent to the vault's retention policy, for operators to apply.",
            discussion: """
                A backstop, never the deletion path: the sweep deletes (and audits) on time; these rules expire \
                chunks and manifests --margin-days after that, in case the sweep stops running. They match the tags \
                takevault writes (tier, kind, held=no), so held or restricted data and owner keys are never expired. \
                Prints the LifecycleConfiguration XML (PutBucketLifecycleConfiguration); --json prints the form \
                `aws s3api put-bucket-lifecycle-configuration --lifecycle-configuration file://rules.json` takes.
                """
        )

        @OptionGroup var vault: VaultOptions
        @Option(help: "Days past the sweep's date before a rule acts.") var marginDays = LifecycleBackstop.defaultMarginDays
        @Flag(help: "Print JSON (the aws CLI's form).") var json = false

        func validate() throws {
            guard (1...3_650).contains(marginDays) else { throw ValidationError("--margin-days must be 1…3650") }
        }

        func execute() async throws {
            let backstop = LifecycleBackstop(vault: try vault.open(), marginDays: marginDays)
            if json {
                try JSONOutput.print(backstop.awsCLIJSON)
            } else {
                FileDescriptorOutput.standardOutput.write(backstop.xml)
            }
        }
    }
}
