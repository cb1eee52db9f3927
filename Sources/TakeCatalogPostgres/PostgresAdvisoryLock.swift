import Crypto
import PostgresNIO
import TakeCatalog
import TakevaultCore

/// A PostgreSQL advisory lock held on a connection of its own: how the nodes of a shared vault
/// coordinate the operations `VaultLocks` orders on one machine with `flock`.
///
/// Session-level locks: released by ``release()``, and by PostgreSQL itself when the session
/// ends — a node that dies or loses its connection never leaves the vault locked. PostgreSQL queues
/// lock requests in order, so an exclusive request that waits holds back shared ones that come
/// after it (no writer starvation, as the gate files give the `flock` locks).
public final class PostgresAdvisoryLock: Sendable {
    private let connection: PostgresConnection

    private init(connection: PostgresConnection) { self.connection = connection }

    /// The lock key of a name: the first 8 bytes of its SHA-256, so names never collide in practice
    /// and no name is stored in the database.
    public static func key(_ name: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Array(("takevault-lock\n" + name).utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// Takes the lock named `name` at `location` (shared or exclusive), waiting while another
    /// session holds it in a conflicting mode; `onWait` runs once if it has to wait.
    public static func acquire(_ location: PostgresLocation, name: String, exclusive: Bool, connectTimeout: Duration = .seconds(10),
                               onWait: @Sendable () -> Void = {}) async throws -> PostgresAdvisoryLock {
        let key = key(name)
        let connection = try await PostgresCatalog.connect(location, timeout: connectTimeout)
        do {
            let tried: PostgresQuery = exclusive ? "SELECT pg_try_advisory_lock(\(key)) AS got" : "SELECT pg_try_advisory_lock_shared(\(key)) AS got"
            let got = try await connection.rows(tried) { try $0.value("got", as: Bool.self) }.first ?? false
            if !got {
                onWait()
                let wait: PostgresQuery = exclusive ? "SELECT pg_advisory_lock(\(key))" : "SELECT pg_advisory_lock_shared(\(key))"
                try await connection.execute(wait)
            }
            return PostgresAdvisoryLock(connection: connection)
        } catch {
            try? await connection.close()
            throw PostgresCatalog.wrap(error, location: location)
        }
    }

    /// Lets the lock go: the session ends, and with it every lock it held.
    public func release() async {
        try? await connection.close()
    }
}
