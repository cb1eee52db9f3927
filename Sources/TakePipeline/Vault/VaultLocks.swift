import Crypto
import Dispatch
import TakeCatalogPostgres
import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an operation changes, and so what it locks (docs/OPERATIONS.md, "Operations side by side").
public enum LockScope: Hashable, Sendable {
    /// The vault as a whole: the master key, the catalog's rebuild, every owner at once.
    case vault
    /// One owner: their takes, keys, tier, holds and restriction.
    case owner(String)
}

/// Shared locks coexist; an exclusive one waits for every other holder and keeps them out.
public enum LockMode: Sendable, Comparable {
    case shared
    case exclusive
}

/// The one coordination model every vault operation goes through.
///
/// An operation on an owner holds the vault shared and that owner shared (ingest, reprocess,
/// export) or exclusive (tier change, holds, restriction); an operation on the whole vault holds
/// it exclusive (key rotation, erasure — which rotates the master key —, catalog rebuild, the
/// sweep). Locks are taken before the state they protect is read and held until the operation
/// ends. Locks a task already holds are not taken again by what it calls (erasure runs a key
/// rotation inside its own exclusive lock), and they pass to the child tasks it awaits.
///
/// On one machine the locks are `flock`s on files under `<vault>/locks/` (owners by a hash of
/// their id, so no file names an erased owner): the kernel drops them when a process dies, so a
/// crash never leaves a vault locked. On a shared catalog they are PostgreSQL advisory locks, one
/// session each, so operations on different nodes exclude each other the same way, and a node that
/// dies or loses its connection leaves nothing locked. Nothing above this type knows which.
public final class VaultLocks: Sendable {
    let directory: String
    /// The shared catalog whose advisory locks these are; `nil`: files on this machine.
    let shared: PostgresLocation?

    /// The locks the current task holds, and their modes.
    @TaskLocal static var held: [LockScope: LockMode] = [:]

    init(vault root: String, shared: PostgresLocation? = nil) throws {
        directory = root + "/locks"
        self.shared = shared
        try FileIO.makeDirectory(directory, mode: 0o700)
    }

    /// Runs `body` holding `scope` in `mode` (an owner's lock comes with the vault's, shared). A lock
    /// the task already holds in that mode or a stronger one is not taken again; the vault held
    /// exclusive covers every owner. Asking to strengthen a lock the task holds shared is a bug in
    /// the caller (two holders upgrading would deadlock) and fails.
    public func withLock<T>(_ scope: LockScope, _ mode: LockMode, onVaultAcquired: () throws -> Void = {},
                            _ body: () async throws -> T) async throws -> T {
        var wanted: [(LockScope, LockMode)] = []
        if case .owner = scope { wanted.append((.vault, .shared)) }
        wanted.append((scope, mode))
        let current = Self.held
        var taken: [any HeldLock] = []
        do {
            var now = current
            for (scope, mode) in wanted {
                if current[.vault] == .exclusive { continue }
                if let held = current[scope] {
                    guard held >= mode else { throw LockError.upgrade(scope: "\(scope)") }
                    continue
                }
                taken.append(try await acquire(scope, mode))
                now[scope] = mode
                if scope == .vault { try onVaultAcquired() }
            }
            let result = try await Self.$held.withValue(now) { try await body() }
            await Self.release(taken)
            return result
        } catch {
            await Self.release(taken)
            throw error
        }
    }

    /// Takes one lock, waiting in turn behind conflicting holders.
    private func acquire(_ scope: LockScope, _ mode: LockMode) async throws -> any HeldLock {
        guard let shared else { return try await LockFile.acquireInTurn(path: path(scope), mode: mode) }
        return try await PostgresAdvisoryLock.acquire(shared, name: name(scope), exclusive: mode == .exclusive) {
            // Another operation, on this node or another, holds it: say so to a test watching.
            Failpoint.reach(Failpoint.lockWaiting)
        }
    }

    private static func release(_ locks: [any HeldLock]) async {
        for lock in locks.reversed() { await lock.releaseLock() }
    }

    /// The advisory lock's name of `scope` (hashed into its key: no owner id reaches the database).
    func name(_ scope: LockScope) -> String {
        switch scope {
        case .vault: "vault"
        case .owner(let id): "owner\n" + id
        }
    }

    func path(_ scope: LockScope) -> String {
        switch scope {
        case .vault: return directory + "/vault.lock"
        case .owner(let id):
            return directory + "/owner-" + Array(SHA256.hash(data: Array(("takevault-owner-lock\n" + id).utf8))).hex.prefix(32) + ".lock"
        }
    }
}

/// Why a lock could not be taken.
public enum LockError: ReasonCoded, Equatable {
    case upgrade(scope: String)
    case unavailable(path: String, detail: String)

    public var code: String {
        switch self {
        case .upgrade: "lock_upgrade"
        case .unavailable: "lock_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .upgrade(let scope): "An operation holding \(scope) shared asked for it exclusive (a bug: locks are never upgraded)."
        case .unavailable(let path, let detail): "Cannot lock \(path): \(detail)."
        }
    }

    public var category: ErrorCategory { .failure }
}

/// A lock held by this process: a `flock` or a PostgreSQL advisory lock.
protocol HeldLock: Sendable {
    func releaseLock() async
}

extension PostgresAdvisoryLock: HeldLock {
    func releaseLock() async { await release() }
}

/// One held `flock`, released by closing its descriptor.
final class LockFile: HeldLock {
    func releaseLock() async { release() }

    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    func release() { close(descriptor) }

    /// Takes the lock in turn: through a gate (`<path>.gate`, held exclusively only while
    /// waiting), so an exclusive request that is waiting holds back shared requests that come after
    /// it. `flock` alone would let a stream of shared holders — relay workers ingesting one take
    /// after another — keep an erasure or a sweep waiting for ever.
    static func acquireInTurn(path: String, mode: LockMode) async throws -> LockFile {
        let gate = try await acquire(path: path + ".gate", mode: .exclusive)
        defer { gate.release() }
        return try await acquire(path: path, mode: mode)
    }

    /// Takes the lock, waiting if another holder conflicts. The wait happens on a thread of its own,
    /// never on one of the task pool's.
    static func acquire(path: String, mode: LockMode) async throws -> LockFile {
        let descriptor = SystemIO.retrying { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard descriptor >= 0 else { throw LockError.unavailable(path: path, detail: String(cString: strerror(errno))) }
        let operation = mode == .exclusive ? LOCK_EX : LOCK_SH
        if flock(descriptor, operation | LOCK_NB) == 0 { return LockFile(descriptor: descriptor) }
        guard errno == EWOULDBLOCK || errno == EINTR else {
            let detail = String(cString: strerror(errno))
            close(descriptor)
            throw LockError.unavailable(path: path, detail: detail)
        }
        // Another operation holds it: say so to a test watching (the process stops here when
        // armed), then wait.
        Failpoint.reach(Failpoint.lockWaiting)
        let failure: Int32? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                // errno is the waiting thread's: read it there.
                continuation.resume(returning: SystemIO.retrying { flock(descriptor, operation) } == 0 ? nil : errno)
            }
        }
        if let failure {
            close(descriptor)
            throw LockError.unavailable(path: path, detail: String(cString: strerror(failure)))
        }
        return LockFile(descriptor: descriptor)
    }
}

extension VaultLocks {
    /// Claims `name` for this process alone without waiting (`serve` claims "serve": one relay server
    /// per vault and spool); `nil` when another process holds it. The claim lasts as long as the
    /// returned value, or the process.
    public func claim(_ name: String) throws -> Claim? {
        let path = directory + "/" + name + ".lock"
        let descriptor = SystemIO.retrying { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard descriptor >= 0 else { throw LockError.unavailable(path: path, detail: String(cString: strerror(errno))) }
        guard SystemIO.retrying({ flock(descriptor, LOCK_EX | LOCK_NB) }) == 0 else {
            let busy = errno == EWOULDBLOCK
            let detail = String(cString: strerror(errno))
            close(descriptor)
            if busy { return nil }
            throw LockError.unavailable(path: path, detail: detail)
        }
        return Claim(descriptor: descriptor)
    }

    /// A held claim; released when it is deallocated.
    public final class Claim: Sendable {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }
}
