import TakeCatalog
@testable import TakeCatalogPostgres
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("PostgreSQL catalog locations")
struct PostgresLocationTests {
    @Test("a URL gives host, port, user, database and TLS mode; the password never appears in its printed form")
    func parsing() throws {
        let location = try PostgresLocation(url: "postgres://tv%40svc:s3cr%3At@db.internal:6543/vault_1?sslmode=require", environment: [:])
        #expect(location.host == "db.internal" && location.port == 6543 && location.user == "tv@svc" && location.database == "vault_1")
        #expect(location.password == "s3cr:t" && location.tls == .require)
        #expect(!location.redacted.contains("s3cr") && !String(describing: location).contains("s3cr"))
        #expect(location.redacted == "postgres://tv%40svc@db.internal:6543/vault_1?sslmode=require")

        let socket = try PostgresLocation(url: "postgresql://takevault@/vault?host=/run/postgresql", environment: [:])
        #expect(socket.socketDirectory == "/run/postgresql" && socket.host == nil && socket.port == 5432 && socket.tls == .prefer)
    }

    @Test("sslmode maps to TLS as libpq's: disable plain; prefer and require unchecked, require refusing plain; verify-full checked")
    func tlsModes() throws {
        func settings(_ mode: String) throws -> (checked: Bool, required: Bool)? {
            try PostgresLocation(url: "postgres://tv@db/vault?sslmode=\(mode)", environment: [:]).tlsSettings
                .map { ($0.configuration.certificateVerification == .fullVerification, $0.required) }
        }
        #expect(try settings("disable") == nil)
        #expect(try settings("prefer").map { !$0.checked && !$0.required } == true)
        #expect(try settings("require").map { !$0.checked && $0.required } == true)
        #expect(try settings("verify-full").map { $0.checked && $0.required } == true)
    }

    @Test("the password comes from the URL, else TAKEVAULT_CATALOG_PASSWORD, else an owner-only password file")
    func passwordSources() throws {
        let url = "postgres://tv@localhost/vault"
        #expect(try PostgresLocation(url: "postgres://tv:inurl@localhost/vault", environment: ["TAKEVAULT_CATALOG_PASSWORD": "env"]).password == "inurl")
        #expect(try PostgresLocation(url: url, environment: ["TAKEVAULT_CATALOG_PASSWORD": "env"]).password == "env")
        #expect(try PostgresLocation(url: url, environment: [:]).password == nil)

        let directory = TestDirectory()
        let file = directory.write("pgpass", bytes: Array("from-file\nsecond line ignored\n".utf8))
        chmod(file, 0o600)
        #expect(try PostgresLocation(url: url, environment: ["TAKEVAULT_CATALOG_PASSWORD_FILE": file]).password == "from-file")
        #expect(try PostgresLocation(url: url + "?password_file=\(file)", environment: [:]).password == "from-file")
        chmod(file, 0o644)
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: url + "?password_file=\(file)", environment: [:]) }
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: url + "?password_file=\(directory.file("none"))", environment: [:]) }
    }

    @Test("malformed URLs are refused with the reason, never echoing a password", arguments: [
        "postgres://localhost/vault",                       // no user
        "postgres://tv:pw@localhost/",                      // no database
        "postgres://tv:pw@localhost:0/vault",               // port out of range
        "postgres://tv:pw@localhost:99999/vault",
        "postgres://tv:pw@localhost/vault?sslmode=sometimes",
        "postgres://tv:pw@localhost/vault?application_name=x",
        "postgres://tv:pw@localhost/vault?sslmode=disable&sslmode=require",
        "mysql://tv:pw@localhost/vault",
    ])
    func malformed(_ url: String) {
        do {
            _ = try PostgresLocation(url: url, environment: [:])
            Issue.record("accepted \(url)")
        } catch let error as PostgresLocationError {
            #expect(error.code == "catalog_url_invalid")
            #expect(!error.message.contains(":pw"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a server that does not answer fails the catalog's calls with catalog_unavailable, password redacted, rather than waiting for it",
          .timeLimit(.minutes(5)))
    func unreachable() async throws {
        // A port nothing listens on: bound, then closed.
        let location = try PostgresLocation(url: "postgres://tv:hunter2@127.0.0.1:\(closedPort())/vault?sslmode=disable", environment: [:])
        var options = PostgresCatalog.Options()
        options.connectTimeout = .seconds(2)
        let catalog = PostgresCatalog(location, options: options)
        do {
            _ = try await catalog.owners()
            Issue.record("a catalog with no server answered")
        } catch let error as CatalogError {
            #expect(error.code == "catalog_unavailable")
            #expect(!error.message.contains("hunter2"))
        }
        // Liveness, not speed: the call returns (the time limit catches a pool retrying forever). A
        // wall-clock bound failed under the full suite, whose blocking waits starve the pool's threads.
    }

    private func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
