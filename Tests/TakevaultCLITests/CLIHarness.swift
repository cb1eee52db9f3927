import Foundation
import Testing
import TestSupport

/// Runs the built `takevault` binary, which SwiftPM places beside the test bundle.
enum CLI {
    static let binary: String = {
        let testExecutable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: testExecutable).deletingLastPathComponent().appendingPathComponent("takevault").path
    }()

    static func run(_ arguments: String...) -> ProcessResult {
        TestSupport.run(binary, arguments)
    }

    static func run(_ arguments: [String]) -> ProcessResult {
        TestSupport.run(binary, arguments)
    }

    /// Parses stdout as JSON.
    static func json(_ result: ProcessResult) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
    }

    /// Decodes stdout into the public type the command prints (`--json`): the contract is the
    /// type, so a renamed or retyped field fails here.
    static func decode<Value: Decodable>(_ type: Value.Type, _ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(result.standardOutput.utf8))
        } catch {
            Issue.record("\(Value.self) from: \(result.standardOutput.prefix(400)) \(result.standardError.prefix(400)): \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    static let samples = RepositoryPaths.samples

    /// `{"error": {"code", "message"}}`: what every command prints under `--json` when it fails.
    struct Failure: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}
