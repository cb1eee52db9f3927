import TakeCatalog
import TakeCatalogPostgres
import Testing
import TestSupport

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

extension PostgresTestServer {
    /// A database of its own for one catalog test.
    static func freshCatalog() throws -> PostgresLocation {
        let server = try #require(current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no usable TAKEVAULT_TEST_POSTGRES_URL")
        let url = try #require(server.freshDatabase("catalog"), "CREATE DATABASE failed on the test server")
        return try PostgresLocation(url: url, environment: server.environment)
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
        database = implementation == .postgres ? try PostgresTestServer.freshCatalog() : nil
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
