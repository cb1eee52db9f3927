extension Vault {
    /// Runs `body` holding `scope` in `mode` (``VaultLocks``). When this call takes the vault's lock,
    /// the master key is read again first: a key rotation or an erasure may have replaced it while
    /// this process waited, and a key loaded before that would wrap new owner keys under a master
    /// key that no longer exists.
    public func withLock<T>(_ scope: LockScope, _ mode: LockMode, _ body: () async throws -> T) async throws -> T {
        try await locks.withLock(scope, mode, onVaultAcquired: { try reloadMasterKeys() }, body)
    }

    /// The master key ring as the key files say now (nothing to do when the key comes from the
    /// environment: takevault cannot rotate that one).
    func reloadMasterKeys() throws {
        guard masterKeyPath != nil else { return }
        let (current, _) = try MasterKeySource.load(vault: root, environment: [:])
        masterKeys.replace(primary: current.primary, others: current.others)
    }
}
