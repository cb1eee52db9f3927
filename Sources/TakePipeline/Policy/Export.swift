import TakeArchive
import TakeCatalog
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The right of access and to portability: everything takevault holds about an owner as one JSON
/// document (docs/OPERATIONS.md, "Export"), and with audio, each take's master beside it.
/// Deterministic: the same vault state gives the same bytes.
public struct Export: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Document: Sendable, Encodable {
        public var schema = 1
        public var owner: OwnerRecord
        public var tierHistory: [TierChangeRecord]
        public var holds: [HoldRecord]
        public var takes: [ManifestBody]
        /// Files written beside the document, by take id (with `--with-audio`).
        public var audio: [String: String]

        enum CodingKeys: String, CodingKey { case schema, owner, tierHistory = "tier_history", holds, takes, audio }
    }

    /// Writes `export.json` (and `audio/<take>.<ext>` with `withAudio`) into `directory`, files and
    /// the folders it creates with `permissions` (private unless asked otherwise).
    public func run(owner id: String, to directory: String, withAudio: Bool, permissions: OutputPermissions = .private) async throws -> Document {
        try await vault.withLock(.owner(id), .shared) {
            try Identifier.validate(id, kind: "owner id")
            guard let owner = try await vault.catalog.owner(id) else { throw PipelineError.takeNotFound("owner \(id)") }
            if withAudio, owner.restricted { throw PipelineError.ownerRestricted(id) }
            try FileIO.makeDirectory(directory, mode: permissions.directory)
            let locator = ManifestLocator(vault: vault)
            var bodies: [ManifestBody] = []
            var audio: [String: String] = [:]
            for take in try await vault.catalog.takes(owner: id).sorted(by: { ($0.ingestedAt, $0.id) < ($1.ingestedAt, $1.id) }) {
                let manifest = try await locator.current(take: take.id)
                bodies.append(manifest.body)
                if withAudio, let master = manifest.body.artefact(.master) {
                    try FileIO.makeDirectory(directory + "/audio", mode: permissions.directory)
                    let ext = master.codec == "flac" ? "flac" : (manifest.body.original.fileName.split(separator: ".").last.map(String.init) ?? "bin")
                    let name = "audio/\(take.id).\(ext)"
                    _ = try await Restore(vault: vault).run(take: take.id, artefact: .master, to: directory + "/" + name, permissions: permissions)
                    audio[take.id] = name
                }
            }
            let document = await Document(owner: owner, tierHistory: try vault.catalog.tierHistory(owner: id), holds: try vault.catalog.holds(owner: id),
                                    takes: bodies, audio: audio)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let bytes = Array(try encoder.encode(document)) + [0x0a]
            try? FileIO.removeFile(directory + "/export.json")
            try FileIO.writeNew(directory + "/export.json", bytes, mode: permissions.file)
            try await vault.catalog.append(AuditEvent.export(takes: bodies.count, withAudio: withAudio).record(at: Timestamp.string(vault.clock.now()), owner: id))
            return document
        }
    }
}
