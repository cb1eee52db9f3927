import Foundation
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

    static let samples = RepositoryPaths.samples
}
