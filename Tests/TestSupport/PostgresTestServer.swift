#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PostgreSQL server the shared-catalog tests run against: a private cluster started by
/// `scripts/test.sh` (through `scripts/postgres.sh`), described by `TAKEVAULT_TEST_POSTGRES_URL`
/// (`postgres://USER@127.0.0.1:PORT/DATABASE`, no password) and `TAKEVAULT_TEST_POSTGRES_PASSWORD`.
/// There is no mock: ``required`` (`TAKEVAULT_REQUIRE_POSTGRES=1`) makes a missing server a failure.
public struct PostgresTestServer: Sendable {
    /// The server's URL, naming its administration database.
    public var url: String
    public var password: String
    public var host: String
    public var port: Int
    public var user: String

    /// The server from the environment, or `nil` when the tests were started without one.
    public static let current: PostgresTestServer? = {
        guard let url = variable("TAKEVAULT_TEST_POSTGRES_URL"), let password = variable("TAKEVAULT_TEST_POSTGRES_PASSWORD") else { return nil }
        // postgres://USER@HOST:PORT/DATABASE, as scripts/postgres.sh prints it.
        let rest = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? ""
        let parts = rest.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, let hostPort = parts[1].split(separator: "/").first else { return nil }
        let pieces = hostPort.split(separator: ":")
        guard pieces.count == 2, let port = Int(pieces[1]) else { return nil }
        return PostgresTestServer(url: url, password: password, host: String(pieces[0]), port: port, user: String(parts[0]))
    }()

    /// Whether the shared-catalog tests must run (`scripts/test.sh` sets `TAKEVAULT_REQUIRE_POSTGRES=1`).
    public static var required: Bool { variable("TAKEVAULT_REQUIRE_POSTGRES") == "1" }

    /// Makes a database no other test uses and returns its URL (without the password). The
    /// databases go with the server's cluster at the end of the run.
    public func freshDatabase(_ label: String) -> String? {
        let name = "tv_\(label)_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        guard psql("CREATE DATABASE \(name)").status == 0 else { return nil }
        return "postgres://\(user)@\(host):\(port)/\(name)"
    }

    /// Runs `sql` on the administration database with psql; its result.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) -> ProcessResult {
        run("/usr/bin/env", ["PGPASSWORD=\(password)", "PGCONNECT_TIMEOUT=10", "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port),
                             "-U", user, "-d", database ?? String(url.split(separator: "/").last ?? "postgres"), "-At", "-c", sql])
    }

    /// The environment a `takevault` process needs to log in to this server's catalogs.
    public var environment: [String: String] { ["TAKEVAULT_CATALOG_PASSWORD": password] }

    private static func variable(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }
}
