import Foundation
import TakePipeline
import Testing
import TestSupport

/// Moving a vault between catalogs through the binary: `catalog migrate --to` copies the SQLite
/// catalog into PostgreSQL (and back), `catalog rebuild --catalog` builds one from the store; the
/// vault reads the same before and after (`ls --json`, `inspect --json`), and the password is
/// never written down or printed.
@Suite("Moving a vault's catalog (PostgreSQL)", .enabled(if: PostgresTestServer.current != nil || PostgresTestServer.required,
                                                          "no PostgreSQL test server (scripts/test.sh starts one)"))
struct CatalogMoveTests {
    func takevault(_ arguments: [String], password: String? = nil) -> ProcessResult {
        let server = PostgresTestServer.current
        let environment = (password ?? server?.password).map { ["TAKEVAULT_CATALOG_PASSWORD=\($0)"] } ?? []
        return run("/usr/bin/env", environment + [CLI.binary] + arguments)
    }

    /// What the vault shows of itself: the listing and every take's manifest summary.
    func view(_ vault: String, catalog: String? = nil) -> [String] {
        let flags = catalog.map { ["--catalog", $0] } ?? []
        let listing = takevault(["ls", "--vault", vault, "--json"] + flags)
        var pages = [listing.standardOutput]
        let takes = (CLI.json(listing) as? [[String: Any]] ?? []).compactMap { $0["take_id"] as? String }.sorted()
        for take in takes { pages.append(takevault(["inspect", "--vault", vault, take, "--json"] + flags).standardOutput) }
        return pages
    }

    @Test("migrate to PostgreSQL and back, rebuild into PostgreSQL: the same vault each time", .timeLimit(.minutes(5)))
    func migrateAndRebuild() throws {
        let server = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
        let directory = TestDirectory()
        let vault = directory.file("vault")
        #expect(takevault(["init", "--vault", vault]).status == 0)
        for (owner, sample) in [("u1", "voice-take-48k16-mono.wav"), ("u2", "drums-44k16-stereo.flac")] {
            let ingest = takevault(["ingest", "--vault", vault, "--owner", owner, "--tier", "pro", CLI.samples + "/" + sample])
            #expect(ingest.status == 0, "\(ingest.standardError)")
        }
        #expect(takevault(["owner", "hold", "u1", "--reason", "inquiry", "--vault", vault]).status == 0)
        #expect(takevault(["owner", "tier", "u2", "studio", "--vault", vault]).status == 0)
        let before = view(vault)
        #expect(before.count == 3)

        // A password in the URL works for the command but is written nowhere and printed nowhere.
        let target = try #require(server.freshDatabase("migrate"))
        let withPassword = target.replacingOccurrences(of: "\(server.user)@", with: "\(server.user):\(server.password)@")
        let migrate = takevault(["catalog", "migrate", "--vault", vault, "--to", withPassword, "--json"], password: "")
        #expect(migrate.status == 0, "\(migrate.standardError)")
        #expect(!(migrate.standardOutput + migrate.standardError).contains(server.password))
        let config = String(decoding: readBytes(vault + "/config.json"), as: UTF8.self)
        #expect(config.contains("\"catalog\" : \"\(target)\"") && !config.contains(server.password), "\(config)")
        let summary = try #require(CLI.json(migrate) as? [String: Any])
        #expect(summary["takes"] as? Int == 2 && summary["owners"] as? Int == 2 && summary["to"] as? String == target)

        // The vault now reads its catalog from PostgreSQL (the password from the environment).
        #expect(view(vault) == before)
        #expect(takevault(["verify", "--vault", vault, "--read-data"]).status == 0)
        let wrong = takevault(["ls", "--vault", vault], password: "not-the-password")
        #expect(wrong.status != 0 && wrong.standardError.contains("catalog_unavailable") && !wrong.standardError.contains("not-the-password"))

        // A second copy into the same database is refused; the vault keeps its catalog.
        let again = takevault(["catalog", "migrate", "--vault", vault, "--to", target, "--json"])
        #expect(again.status != 0)
        #expect(try CLI.decode(CLI.Failure.self, again).error.code == "catalog_target_not_empty")

        // Rebuilt from the store alone into another database: the same index.
        let rebuilt = try #require(server.freshDatabase("rebuild"))
        #expect(takevault(["catalog", "rebuild", "--vault", vault, "--catalog", rebuilt]).status == 0)
        #expect(view(vault, catalog: rebuilt) == before)

        // And back to a SQLite file of the vault.
        let back = takevault(["catalog", "migrate", "--vault", vault, "--to", "catalog-2.sqlite"])
        #expect(back.status == 0, "\(back.standardError)")
        #expect(view(vault) == before)
        #expect(String(decoding: readBytes(vault + "/config.json"), as: UTF8.self).contains("\"catalog\" : \"catalog-2.sqlite\""))
    }

    @Test("init --catalog records the shared catalog without its password and reaches it at once")
    func initWithCatalog() throws {
        let server = try #require(PostgresTestServer.current, "TAKEVAULT_REQUIRE_POSTGRES=1 but no TAKEVAULT_TEST_POSTGRES_URL")
        let directory = TestDirectory()
        let catalog = try #require(server.freshDatabase("init"))
        let created = takevault(["init", "--vault", directory.file("vault"), "--catalog", catalog, "--json"])
        #expect(created.status == 0, "\(created.standardError)")
        #expect((CLI.json(created) as? [String: Any])?["catalog"] as? String == catalog)
        let ingest = takevault(["ingest", "--vault", directory.file("vault"), "--owner", "u1", "--tier", "free", CLI.samples + "/voice-take-48k16-mono.wav"])
        #expect(ingest.status == 0, "\(ingest.standardError)")
        #expect(server.psql("SELECT count(*) FROM takes", database: String(catalog.split(separator: "/").last!)).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        // A catalog that cannot be reached fails init with the reason, not a vault that fails later.
        let unreachable = takevault(["init", "--vault", directory.file("vault-2"), "--catalog", catalog + "_missing"])
        #expect(unreachable.status != 0 && unreachable.standardError.contains("does not exist"), "\(unreachable.standardError)")
        #expect(access(directory.file("vault-2"), F_OK) != 0, "nothing is made for a catalog that cannot be reached")
    }
}
