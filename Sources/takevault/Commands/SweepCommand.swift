import ArgumentParser
import TakePipeline

/// `takevault sweep [--as-of ISO8601] [--dry-run] [--json]`.
struct SweepCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Apply the retention policy: delete what has expired, report what is kept and why.",
        discussion: """
            Deletes in a crash-safe order; rerun after an interruption to finish. --dry-run changes nothing and reports the same plan. \
            An owner whose data cannot be read is left alone and reported under "skipped"; everyone else is swept, and the exit \
            code is then 4 (integrity) or 1.
            """)

    @OptionGroup var vault: VaultOptions
    @Option(help: "Apply the policy as of this instant (ISO 8601, e.g. 2026-12-31T00:00:00Z); default now.") var asOf: String?
    @Flag(help: "Report the plan without deleting anything.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func execute() async throws {
        let opened = try vault.open()
        let instant: Date
        if let asOf {
            guard let parsed = Timestamp.date(asOf) else { throw ValidationError("--as-of must be ISO 8601, e.g. 2026-12-31T00:00:00Z") }
            instant = parsed
        } else {
            instant = opened.clock.now()
        }
        let report = try await Sweep(vault: opened).run(asOf: instant, dryRun: dryRun)
        if json {
            try JSONOutput.print(report)
            try Self.exitForSkipped(report)
            return
        }
        var lines = ["sweep as of \(report.asOf)\(dryRun ? " (dry run: nothing deleted)" : ""): \(report.deleted.count) deleted, \(report.kept.count) kept, \(report.bytesFreed) bytes freed"]
        for item in report.deleted {
            lines.append("  \(dryRun ? "would delete" : "deleted") \(item.kind.rawValue) \(item.id)\(item.owner.map { " (\($0))" } ?? ""): \(item.reason)\(item.retainUntil.map { " \($0)" } ?? "")")
        }
        for item in report.kept { lines.append("  kept \(item.kind.rawValue) \(item.id)\(item.owner.map { " (\($0))" } ?? ""): \(item.reason)") }
        FileDescriptorOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
        for skipped in report.skipped {
            FileDescriptorOutput.standardError.write("takevault: sweep left owner \(skipped.owner) alone: \(skipped.message) [\(skipped.code)]\n")
        }
        try Self.exitForSkipped(report)
    }

    /// Exit 4 when an owner was skipped for an integrity failure, 1 for any other reason.
    static func exitForSkipped(_ report: Sweep.Report) throws {
        guard !report.skipped.isEmpty else { return }
        let integrity = ["authentication_failed", "integrity_error"]
        throw (report.skipped.contains { integrity.contains($0.code) } ? ExitStatus.integrity : ExitStatus.failure).exitCode
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
