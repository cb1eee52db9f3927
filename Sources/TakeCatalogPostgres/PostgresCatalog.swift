import Logging
import PostgresNIO
import TakeCatalog
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The catalog of a vault shared by several nodes: the ``Catalog`` contract on one PostgreSQL
/// database (postgres-nio's connection pool; SQL written here, table for table the SQLite
/// catalog's schema).
///
/// Every call that changes state is one transaction; the queue's claims skip rows another node has
/// locked (`FOR UPDATE SKIP LOCKED`) and its capacity check serialises on an advisory lock, so
/// nodes never hand out one job twice nor pass the capacity together. A call that cannot get a
/// connection within ``Options/connectTimeout`` fails with `catalog_unavailable` rather than
/// waiting for the database to come back: the relay answers 503 meanwhile.
///
/// The pool runs in a task of its own from ``open(_:options:)`` until the catalog is released.
public final class PostgresCatalog: Catalog {
    /// Pool and timeout settings.
    public struct Options: Sendable {
        /// Connections this process keeps at most.
        public var maximumConnections = 8
        /// How long a call waits for a connection (and for the first one at open) before failing.
        public var connectTimeout: Duration = .seconds(10)

        public init() {}
    }

    /// Where the catalog is, password redacted in every description.
    public let location: PostgresLocation
    let client: PostgresClient
    let options: Options
    private let runner: Task<Void, Never>

    /// Logs nothing: statements carry owner ids and upload names, which stay out of logs.
    static let logger = Logger(label: "takevault.catalog.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Where the schema stands: brought up to date once, before the first statement of this process.
    private let schema: SchemaGate

    /// A catalog at `location`. Connects lazily: the first call connects and brings the schema up
    /// to date (and fails with `catalog_unavailable` if the server cannot be reached; the next call
    /// tries again). ``open(_:options:)`` does the same at once.
    public convenience init(_ location: PostgresLocation, options: Options = Options()) {
        self.init(location, options: options, schemaVersion: nil)
    }

    init(_ location: PostgresLocation, options: Options, schemaVersion: Int?) {
        self.location = location
        self.options = options
        let client = PostgresClient(configuration: Self.configuration(location, options), backgroundLogger: Self.logger)
        self.client = client
        schema = SchemaGate(target: schemaVersion ?? Int.max)
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Connects to the catalog at `location`, brings its schema up to date and returns it.
    public static func open(_ location: PostgresLocation, options: Options = Options()) async throws -> PostgresCatalog {
        let catalog = PostgresCatalog(location, options: options)
        try await catalog.ping()
        return catalog
    }

    private static func configuration(_ location: PostgresLocation, _ options: Options) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socket = location.socketDirectory {
            configuration = .init(unixSocketPath: "\(socket)/.s.PGSQL.\(location.port)", username: location.user,
                                  password: location.password, database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch location.tlsSettings {
            case nil: .disable
            case let (settings, required)?: required ? .require(settings) : .prefer(settings)
            }
            configuration = .init(host: location.host ?? "localhost", port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: tls)
        }
        configuration.options.maximumConnections = options.maximumConnections
        configuration.options.connectTimeout = options.connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", "takevault")]
        return configuration
    }

    // MARK: Running statements

    /// Runs `body` on a connection of the pool, waiting at most ``Options/connectTimeout`` for one,
    /// once the schema is up to date.
    func connection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let location = location
        let timeout = options.connectTimeout
        try await schema.ensure { target in
            do {
                // On a connection of its own: the first call of a process says at once why the
                // catalog cannot be reached, where the pool would retry quietly until the timeout.
                _ = try await Self.direct(location, timeout: timeout) { connection in
                    try await PostgresSchema.migrate(connection, upTo: target, at: UTCTime(secondsSince1970: Int64(time(nil))).iso8601, logger: Self.logger)
                }
            } catch {
                throw Self.wrap(error, location: location)
            }
        }
        return try await leased(body)
    }

    /// `body` on a connection of the pool, waiting at most ``Options/connectTimeout`` for one.
    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let timeout = options.connectTimeout
        let location = location
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await client.withConnection { try await body($0) } }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    // The pool retries quietly; one connection of its own says why it failed.
                    let reason = await Self.diagnose(location)
                    throw CatalogError.unavailable(path: location.redacted, detail: "no connection within \(timeout)" + (reason.map { ": \($0)" } ?? ""))
                }
                return result
            }
        } catch {
            throw Self.wrap(error, location: location)
        }
    }

    /// As ``connection(_:)``, inside one transaction: committed when `body` returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await connection { connection in
            try await connection.withTransaction(logger: Self.logger) { try await body($0) }
        }
    }

    /// Rows of one statement, each turned into a `T`.
    func rows<T: Sendable>(_ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        try await connection { try await $0.rows(query, decode) }
    }

    /// Runs one statement (in a transaction of its own, as every single statement is).
    func execute(_ query: PostgresQuery) async throws {
        try await connection { try await $0.execute(query) }
    }

    /// Why a connection to `location` fails now, from one attempt outside the pool (which retries
    /// without saying why); `nil` if it succeeds (the pool was only busy).
    static func diagnose(_ location: PostgresLocation) async -> String? {
        do {
            try await direct(location, timeout: .seconds(3)) { _ in }
            return nil
        } catch {
            return describe(error)
        }
    }

    /// `body` on a connection of its own, outside the pool: a failure to connect is reported at
    /// once, with the server's reason (a wrong password, a database that does not exist).
    static func direct<T: Sendable>(_ location: PostgresLocation, timeout: Duration,
                                    _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(location, timeout: timeout)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A connection of its own to `location` (closed by the caller); `catalog_unavailable` with
    /// the server's reason when it cannot be made.
    static func connect(_ location: PostgresLocation, timeout: Duration) async throws -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        if let socket = location.socketDirectory {
            configuration = .init(unixSocketPath: "\(socket)/.s.PGSQL.\(location.port)", username: location.user,
                                  password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch location.tlsSettings {
            case nil: .disable
            case let (settings, required)?:
                required ? .require(try NIOSSLContext(configuration: settings)) : .prefer(try NIOSSLContext(configuration: settings))
            }
            configuration = .init(host: location.host ?? "localhost", port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: tls)
        }
        let (seconds, attoseconds) = timeout.components
        configuration.options.connectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        configuration.options.additionalStartupParameters = [("application_name", "takevault")]
        do { return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger) } catch {
            throw CatalogError.unavailable(path: location.redacted, detail: describe(error))
        }
    }

    // MARK: Errors

    static func wrap(_ error: any Error, location: PostgresLocation) -> any Error {
        // Our own errors (thrown inside a transaction to end it) pass through as they are.
        if error is ReasonCoded { return error }
        if let transaction = error as? PostgresTransactionError {
            // What ended the transaction: the body's error (rolled back), else BEGIN's or COMMIT's.
            if let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? transaction.rollbackError {
                return wrap(cause, location: location)
            }
        }
        if let error = error as? PSQLError, error.serverInfo == nil {
            // No answer from the server: the connection, not the statement, failed.
            return CatalogError.unavailable(path: location.redacted, detail: describe(error))
        }
        return CatalogError.database(detail: describe(error))
    }

    /// What went wrong, from the server's message and SQL state when it answered. `PSQLError`'s own
    /// description says nothing (by design: it may hold the statement's values), and its debug
    /// description holds the statement: neither is shown.
    static func describe(_ error: any Error) -> String {
        if let catalogError = error as? CatalogError { return catalogError.message }
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            let message = info[.message] ?? "error"
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "PostgreSQL: \(message)\(state)"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

extension PostgresLocation {
    /// The TLS settings of ``tls`` for a connection (the pool's and the single ones alike): `nil`
    /// for plain TCP; otherwise the client configuration — checking the server's certificate and
    /// name only for `verify-full`, as libpq does — and whether a server without TLS is refused.
    var tlsSettings: (configuration: TLSConfiguration, required: Bool)? {
        switch tls {
        case .disable:
            return nil
        case .prefer, .require:
            var unchecked = TLSConfiguration.makeClientConfiguration()
            unchecked.certificateVerification = .none
            return (unchecked, tls == .require)
        case .verifyFull:
            return (.makeClientConfiguration(), true)
        }
    }
}

/// Brings the schema up to date once per process: the first call migrates, later calls pass
/// straight through; a failed migration is tried again by the next call.
actor SchemaGate {
    private let target: Int
    private var done = false

    init(target: Int) { self.target = target }

    func ensure(_ migrate: @Sendable (Int) async throws -> Void) async throws {
        if done { return }
        try await migrate(target)
        done = true
    }
}

extension PostgresConnection {
    /// Rows of one statement, each turned into a `T`.
    func rows<T>(_ query: PostgresQuery, _ decode: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var result: [T] = []
        for try await row in try await self.query(query, logger: PostgresCatalog.logger) {
            result.append(try decode(row.makeRandomAccess()))
        }
        return result
    }

    /// Runs one statement, reading and discarding any rows.
    func execute(_ query: PostgresQuery) async throws {
        try await self.query(query, logger: PostgresCatalog.logger).drain()
    }

    /// How many rows one statement returned (an `UPDATE … RETURNING 1` counts what it changed).
    func count(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: PostgresCatalog.logger) { count += 1 }
        return count
    }
}
