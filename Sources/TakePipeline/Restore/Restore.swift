import AudioCodecs
import Crypto
import ObjectStore
import TakeArchive
import TakevaultCore

/// Writes an artefact of a take back out: every chunk fetched, authenticated and checked against
/// its id, the whole checked against the manifest's SHA-256, and the file moved into place only
/// then. Any failure names the object and leaves no file.
public struct Restore: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    /// Writes artefact `kind` of `take` to `path` with `permissions` (private unless asked otherwise).
    public func run(take: String, artefact kind: ArtefactKind, to path: String, permissions: OutputPermissions = .private) async throws -> Artefact {
        let manifest = try await ManifestLocator(vault: vault).current(take: take)
        if let record = try await vault.catalog.owner(manifest.header.owner), record.erasedAt != nil { throw PipelineError.ownerErased(manifest.header.owner) }
        guard let artefact = manifest.body.artefact(kind) else { throw PipelineError.artefactNotFound(take: take, kind: kind) }
        try await write(artefact, of: manifest, to: path, permissions: permissions)
        return artefact
    }

    /// Writes `artefact` of an opened manifest to `path`: chunks fetched, opened and checked, the
    /// whole checked against its SHA-256, the file moved into place only then.
    func write(_ artefact: Artefact, of manifest: OpenedManifest, to path: String, permissions: OutputPermissions = .private) async throws {
        let kind = artefact.kind
        let output = try AtomicOutput(finalPath: path)
        do {
            let descriptor = open(output.temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions.file)
            guard descriptor >= 0 else { throw FileIO.error("create", output.temporaryPath) }
            defer { close(descriptor) }
            var hasher = SHA256()
            var writeback = WritebackPacer(descriptor: descriptor)
            var written: Int64 = 0
            try await forEachChunk(of: artefact, owner: manifest.header.owner, sealer: manifest.sealing.chunkSealer) { plaintext in
                hasher.update(data: plaintext)
                try FileIO.writeAll(descriptor, plaintext, path: output.temporaryPath)
                written += Int64(plaintext.count)
                writeback.wrote(upTo: written)
            }
            guard Array(hasher.finalize()).hex == artefact.sha256 else {
                throw ArchiveError.contentMismatch(object: manifest.name, detail: "the \(kind) artefact does not match its SHA-256")
            }
        } catch {
            output.discard()
            throw error
        }
        try output.commit()
    }

    /// Fetches, opens and hands over each chunk of `artefact` in order.
    func forEachChunk(of artefact: Artefact, owner: String, sealer: ChunkSealer, _ body: ([UInt8]) throws -> Void) async throws {
        for chunk in artefact.chunks {
            let name = ObjectNames.chunk(owner: owner, id: chunk.id)
            let object: [UInt8]
            do { object = try await vault.store.get(sealedChunk: name, plaintextSize: chunk.size) } catch StoreError.notFound {
                throw ArchiveError.malformedObject(object: name, detail: "missing from the store")
            }
            let plaintext = try sealer.open(object, id: chunk.id, objectName: name)
            guard plaintext.count == chunk.size else {
                throw ArchiveError.contentMismatch(object: name, detail: "\(plaintext.count) bytes, the manifest says \(chunk.size)")
            }
            try body(plaintext)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
