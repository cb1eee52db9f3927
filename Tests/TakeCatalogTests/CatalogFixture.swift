import TakeCatalog
import Testing
import TestSupport

/// The catalog implementations the conformance suite runs against. Every test of the suite is
/// parameterised over ``all``: an implementation passes the suite or does not ship.
enum CatalogImplementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The embedded default: SQLite through GRDB, one file.
    case sqlite

    static var all: [CatalogImplementation] { allCases }

    var testDescription: String { rawValue }
}

/// A fresh, empty catalog of one implementation, and more handles on the same catalog (what a
/// second process or node would open). A test keeps the fixture until its end
/// (`defer { fixture.end() }`): the catalog's files go with it.
final class CatalogFixture: Sendable {
    let implementation: CatalogImplementation
    let directory = TestDirectory()
    let catalog: any Catalog

    init(_ implementation: CatalogImplementation) throws {
        self.implementation = implementation
        catalog = try Self.open(implementation, directory: directory)
    }

    /// The end of the test's use of the catalog; the fixture, and with it the catalog's files,
    /// live at least until this call.
    func end() { withExtendedLifetime(directory) {} }

    /// Another handle on the same catalog: its own connection, as another process would have.
    func openAgain() throws -> any Catalog {
        try Self.open(implementation, directory: directory)
    }

    private static func open(_ implementation: CatalogImplementation, directory: TestDirectory) throws -> any Catalog {
        switch implementation {
        case .sqlite: try SQLiteCatalog(path: directory.file("catalog.sqlite"))
        }
    }
}
