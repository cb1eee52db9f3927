import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An access key pair (and session token, for temporary credentials).
///
/// Its descriptions never show the secret or the token: credentials must not reach a log.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "S3Credentials(\(accessKeyID), secret redacted\(sessionToken == nil ? "" : ", session token redacted"))" }
    public var debugDescription: String { description }

    /// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); else the profile
    /// `AWS_PROFILE` (default `default`) of the shared credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`).
    public static func load(environment: [String: String]) throws -> S3Credentials {
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw S3ConfigurationError.credentials("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        }
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? "") + "/.aws/credentials"
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        guard let text = readText(path) else {
            throw S3ConfigurationError.credentials("no AWS_ACCESS_KEY_ID in the environment and no credentials file at \(path)")
        }
        return try fromCredentialsFile(text, profile: profile, path: path)
    }

    /// Parses the INI-style shared credentials file and picks `profile`.
    public static func fromCredentialsFile(_ text: String, profile: String, path: String = "credentials file") throws -> S3Credentials {
        var section: String?
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast().trimmingSpaces())
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals].trimmingSpaces()).lowercased()] = String(line[line.index(after: equals)...].trimmingSpaces())
        }
        guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            throw S3ConfigurationError.credentials("profile [\(profile)] in \(path) lacks aws_access_key_id or aws_secret_access_key")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }

    private static func readText(_ path: String) -> String? {
        (try? SystemIO.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
