import Foundation
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a PostgreSQL catalog lives and how to log in: parsed from a `postgres://` URL in libpq's
/// form, with the password from the URL, `TAKEVAULT_CATALOG_PASSWORD`, or a password file
/// (`?password_file=PATH` or `TAKEVAULT_CATALOG_PASSWORD_FILE`), in that order.
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full]
///     postgres://USER@/DATABASE?host=/run/postgresql          (a Unix socket's folder)
///
/// The password is never part of ``description`` nor of any error: what is printed, logged or
/// recorded in config.json is ``redacted``.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS, by libpq's `sslmode` names.
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate; plain otherwise (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked.
        case require
        /// TLS with the server's certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    /// The server's host name or address, or `nil` with ``socketDirectory``.
    public var host: String?
    /// The folder holding the server's Unix socket (`?host=/path`).
    public var socketDirectory: String?
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// The URL without its password, and without a password file's path: what may be printed or stored.
    public var redacted: String {
        var text = "postgres://\(Self.escaped(user))@"
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        text += ":\(port)/\(Self.escaped(database))"
        var query: [String] = []
        if let socketDirectory { query.append("host=\(Self.escaped(socketDirectory))") }
        if tls != .prefer { query.append("sslmode=\(tls.rawValue)") }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    public var description: String { redacted }

    /// Whether `text` names a PostgreSQL catalog rather than a file.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `url`, taking a password it lacks from `environment`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgresURL(url), let components = URLComponents(string: url) else {
            throw PostgresLocationError.malformed(reason: "not a postgres:// URL")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard query[item.name] == nil else { throw PostgresLocationError.malformed(reason: "parameter \(item.name) given twice") }
            query[item.name] = item.value ?? ""
        }
        let known: Set<String> = ["sslmode", "host", "password_file", "port", "user", "dbname"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw PostgresLocationError.malformed(reason: "unknown parameter \(unknown)")
        }

        let hostInURL = components.percentEncodedHost.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        if let socket = query["host"], socket.hasPrefix("/") {
            guard hostInURL == nil else { throw PostgresLocationError.malformed(reason: "both a host and a socket folder") }
            socketDirectory = socket
            host = nil
        } else {
            host = query["host"] ?? hostInURL ?? "localhost"
            socketDirectory = nil
        }
        if let text = query["port"] ?? components.port.map(String.init) {
            guard let value = Int(text), (1...65_535).contains(value) else { throw PostgresLocationError.malformed(reason: "port \(text)") }
            port = value
        } else {
            port = 5432
        }
        guard let user = query["user"] ?? components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw PostgresLocationError.malformed(reason: "no user name")
        }
        self.user = user
        let path = components.percentEncodedPath.hasPrefix("/") ? String(components.percentEncodedPath.dropFirst()) : components.percentEncodedPath
        guard let database = query["dbname"] ?? path.removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            throw PostgresLocationError.malformed(reason: "no database name")
        }
        self.database = database
        let mode = query["sslmode"] ?? "prefer"
        switch mode {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca": tls = .require
        case "verify-full": tls = .verifyFull
        default: throw PostgresLocationError.malformed(reason: "sslmode \(mode)")
        }
        if socketDirectory != nil, tls != .disable, tls != .prefer {
            throw PostgresLocationError.malformed(reason: "TLS over a Unix socket")
        }

        if let password = components.percentEncodedPassword.flatMap({ $0.removingPercentEncoding }) {
            self.password = password
        } else if let password = environment["TAKEVAULT_CATALOG_PASSWORD"], !password.isEmpty {
            self.password = password
        } else if let file = query["password_file"] ?? environment["TAKEVAULT_CATALOG_PASSWORD_FILE"] {
            self.password = try Self.readPasswordFile(file)
        } else {
            self.password = nil
        }
    }

    /// The first line of `path`, which must be readable by its owner only: a password file others
    /// can read is refused, as libpq refuses such a `.pgpass`.
    static func readPasswordFile(_ path: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw PostgresLocationError.passwordFile(reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw PostgresLocationError.passwordFile(reason: "may be read by others (chmod 600)")
        }
        guard status.st_mode & S_IFMT == S_IFREG, status.st_size <= 4_096 else {
            throw PostgresLocationError.passwordFile(reason: "is not a file of at most 4 KiB")
        }
        let bytes: [UInt8]
        do { bytes = try SystemIO.readFile(path) } catch {
            throw PostgresLocationError.passwordFile(reason: "cannot be read: \(error)")
        }
        let line = String(decoding: bytes.prefix(4_096), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !password.isEmpty else { throw PostgresLocationError.passwordFile(reason: "has an empty first line") }
        return password
    }

    private static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@/?#&="))) ?? text
    }
}

/// Why a `postgres://` catalog location was refused. Never carries the password.
public enum PostgresLocationError: ReasonCoded, Equatable, Sendable {
    case malformed(reason: String)
    case passwordFile(reason: String)

    public var code: String {
        switch self {
        case .malformed: "catalog_url_invalid"
        case .passwordFile: "catalog_password_file"
        }
    }

    public var message: String {
        switch self {
        case .malformed(let reason): "The catalog URL is not usable: \(reason). Form: postgres://USER@HOST:PORT/DATABASE."
        case .passwordFile(let reason): "The catalog's password file \(reason)."
        }
    }

    public var category: ErrorCategory { .usage }
}
