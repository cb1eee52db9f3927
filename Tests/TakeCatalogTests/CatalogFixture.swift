import PostgresNIO
import TakeCatalog
@testable import TakeCatalogPostgres
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The catalog implementations the conformance suite runs against. Every test of the suite is
/// parameterised over ``all``: an implementation passes the suite or does not ship.
enum CatalogImplementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The embedded default: SQLite through GRDB, one file.
    case sqlite
    /// The shared catalog: a PostgreSQL database (a private server started by scripts/test.sh).
    case postgres

    /// SQLite always; PostgreSQL when a server is given (`TAKEVAULT_TEST_POSTGRES_URL`) or required
    /// (`TAKEVAULT_REQUIRE_POSTGRES=1`, as scripts/test.sh sets: then a missing server fails the tests).
    static var all: [CatalogImplementation] {
        PostgresTestServer.current != nil || PostgresTestServer.required ? allCases : [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// The PostgreSQL server the tests run against, from `TAKEVAULT_TEST_POSTGRES_URL` and
/// `TAKEVAULT_TEST_POSTGRES_PASSWORD` (scripts/postgres.sh prints both). There is no mock.
enum PostgresTestServer {
    static var current: PostgresLocation? {
        guard let url = environment("TAKEVAULT_TEST_POSTGRES_URL") else { return nil }
        return try? PostgresLocation(url: url, environment: ["TAKEVAULT_CATALOG_PASSWORD": environment("TAKEVAULT_TEST_POSTGRES_PASSWORD") ?? ""])
    }

    static var required: Bool { environment("TAKEVAULT_REQUIRE_POSTGRES") == "1" }

    /// A database of its own for one test, made on the server (dropped with the server's cluster).
    static func freshDatabase() async throws -> PostgresLocation {
        let server = try #require(current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no usable TAKEVAULT_TEST_POSTGRES_URL")
        let name = "tv_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await administer(server, "CREATE DATABASE \(name)")
        var location = server
        location.database = name
        return location
    }

    /// Runs one statement on the server's own database, outside any catalog.
    static func administer(_ server: PostgresLocation, _ sql: String) async throws {
        let configuration = PostgresConnection.Configuration(host: server.host ?? "localhost", port: server.port, username: server.user,
                                                             password: server.password, database: server.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: PostgresCatalog.logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresCatalog.logger).drain()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    private static func environment(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }
}

/// A fresh, empty catalog of one implementation, and more handles on the same catalog (what a
/// second process or node would open). A test keeps the fixture until its end
/// (`defer { fixture.end() }`): the catalog's files go with it.
final class CatalogFixture: Sendable {
    let implementation: CatalogImplementation
    let directory = TestDirectory()
    /// The PostgreSQL database of this fixture.
    let database: PostgresLocation?
    let catalog: any Catalog

    init(_ implementation: CatalogImplementation) async throws {
        self.implementation = implementation
        database = implementation == .postgres ? try await PostgresTestServer.freshDatabase() : nil
        catalog = try await Self.open(implementation, directory: directory, database: database)
    }

    /// The end of the test's use of the catalog; the fixture, and with it the catalog's files,
    /// live at least until this call.
    func end() { withExtendedLifetime(directory) {} }

    /// Another handle on the same catalog: its own connection, as another process would have.
    func openAgain() async throws -> any Catalog {
        try await Self.open(implementation, directory: directory, database: database)
    }

    private static func open(_ implementation: CatalogImplementation, directory: TestDirectory, database: PostgresLocation?) async throws -> any Catalog {
        switch implementation {
        case .sqlite: try SQLiteCatalog(path: directory.file("catalog.sqlite"))
        case .postgres: try await PostgresCatalog.open(try #require(database))
        }
    }
}
