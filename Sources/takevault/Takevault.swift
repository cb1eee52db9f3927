import ArgumentParser
import AudioCodecs


/// The `takevault` command line. Exit codes are part of its contract: 0 ok, 1 failure, 2 usage,
/// 3 rejected input, 4 integrity failure.
@main
struct Takevault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takevault",
        abstract: "Keep musicians' takes: probe, transcode, archive and retain audio as the privacy policy promises.",
        discussion: "Exit codes: 0 ok, 1 failure, 2 usage, 3 rejected input, 4 integrity failure.",
        subcommands: [
            InitCommand.self, IngestCommand.self, ListCommand.self, InspectCommand.self, RestoreCommand.self, VerifyCommand.self,
            SweepCommand.self, OwnerCommand.self, KeysCommand.self, CatalogCommand.self, ProbeCommand.self, AnalyzeCommand.self,
            TranscodeCommand.self, LifecycleCommand.self, ServeCommand.self, PushCommand.self, FetchCommand.self, DeleteCommand.self, AmendCommand.self, RelayCommand.self, ReprocessCommand.self,
        ]
    )

    /// Parses and runs like ArgumentParser's own entry point, but maps its usage errors (which it
    /// reports as EX_USAGE, 64) to takevault's usage code, 2.
    static func main() async {
        LogfmtHandler.bootstrap()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileDescriptorOutput.standardError.write(fullMessage(for: error) + "\n")
                Self.exit(withError: ExitStatus.usage.exitCode)
            }
            exit(withError: error)
        }
    }
}
