extension Vault {
    /// Runs `body` holding `scope` in `mode` (``VaultLocks``). When this call takes the vault's lock,
    /// the master key is read again first: a key rotation or an erasure may have replaced it while
    /// this process waited, and a key loaded before that would wrap new owner keys under a master
    /// key that no longer exists.
    public func withLock<T>(_ scope: LockScope, _ mode: LockMode, _ body: () async throws -> T) async throws -> T {
        try await locks.withLock(scope, mode, onVaultAcquired: { try reloadMasterKeys() }, body)
    }

    /// The master key ring as the key files say now: the vault's `master.key` (and `.next`), or
    /// the node's `TAKEVAULT_MASTER_KEY_FILE` (and `.next`); nothing to do for a key given in hex.
    public func reloadMasterKeys() throws {
        let environment = environmentKeyFile.map { ["TAKEVAULT_MASTER_KEY_FILE": $0] } ?? [:]
        guard masterKeyPath != nil || environmentKeyFile != nil else { return }
        let (current, _) = try MasterKeySource.load(vault: root, environment: environment)
        masterKeys.replace(primary: current.primary, others: current.others)
    }
}
