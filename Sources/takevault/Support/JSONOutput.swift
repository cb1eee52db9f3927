import TakevaultCore
import AudioCodecs
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser

/// The one way commands print `--json`: snake_case keys, sorted, one document on stdout.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func print<Value: Encodable>(_ value: Value) throws {
        let data = try encoder().encode(value)
        FileDescriptorOutput.standardOutput.writeJSON(String(decoding: data, as: UTF8.self) + "\n")
    }
}

/// `{"error": {"code": …, "message": …}}`, the contract for a failure under `--json`.
struct ErrorDocument: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
    }

    var error: Detail

    init(_ error: Error) {
        if let reasoned = error as? ReasonCoded {
            self.error = Detail(code: reasoned.code, message: reasoned.message)
        } else {
            self.error = Detail(code: "internal_error", message: String(describing: error))
        }
    }
}

/// Reports a command's failure (JSON on stdout, or a message on stderr) and returns the exit code
/// to throw.
func report(_ error: Error, json: Bool) -> ExitCode {
    if json {
        try? JSONOutput.print(ErrorDocument(error))
    } else {
        let code = (error as? ReasonCoded)?.code ?? "internal_error"
        // One line whatever the error quotes: a line break in a typed value cannot forge another.
        FileDescriptorOutput.standardError.write("takevault: " + TerminalText.escaped("\(error) [\(code)]") + "\n")
    }
    return ExitStatus(for: error).exitCode
}
