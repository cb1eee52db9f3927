import TakeArchive

/// A take's current manifest, opened, for `inspect`.
public struct Inspect: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Manifest: Sendable, Codable {
        public var name: String
        public var header: ManifestHeader
        public var body: ManifestBody
    }

    public func run(take: String) async throws -> Manifest {
        let opened = try await ManifestLocator(vault: vault).current(take: take)
        return Manifest(name: opened.name, header: opened.header, body: opened.body)
    }
}
