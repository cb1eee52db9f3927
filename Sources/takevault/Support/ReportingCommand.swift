import ArgumentParser

/// A command whose failures are reported the one way (``report(_:json:)``): under `--json` an
/// error document on stdout, otherwise a line on stderr, and the exit code of the error's
/// category. Commands implement ``execute()``; ArgumentParser's own outcomes (usage errors, exit
/// codes, clean exits) pass through as they are.
protocol ReportingCommand: AsyncParsableCommand {
    /// Whether failures are reported as JSON.
    var json: Bool { get }
    /// The command's work; any error it throws is reported.
    func execute() async throws
}

extension ReportingCommand {
    func run() async throws {
        do {
            try await execute()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            throw report(error, json: json)
        }
    }
}
