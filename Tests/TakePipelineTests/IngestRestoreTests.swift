import AudioCodecs
import ObjectStore
import TakevaultCore
import TakeArchive
import TakePipeline
import Testing
import TestSupport
import AudioTestSupport

/// Ingest → restore gives back exactly what was uploaded.
@Suite("Ingest and restore")
struct IngestRestoreTests {
    static let sampleNames = ["voice-take-48k16-mono.wav", "guitar-44k16-stereo.wav", "keys-48k24-stereo.wav",
                              "pad-48k-float32-mono.wav", "drums-44k16-stereo.flac", "bass-48k-stereo.ogg"]

    @Test("every sample restores: integer masters decode to the upload's samples, others byte for byte", arguments: sampleNames)
    func samplesRoundTrip(name: String) async throws {
        let vault = try TestVault()
        let upload = RepositoryPaths.samples + "/" + name
        let result = try await vault.ingest(upload)
        #expect(result.created)
        let restored = vault.directory.file("restored")
        let artefact = try await Restore(vault: vault.vault).run(take: result.takeID, artefact: .master, to: restored)
        if artefact.codec == "flac" {
            #expect(try flacSamples(restored) == integerSamples(upload))
        } else {
            #expect(artefact.codec == "original")
            #expect(readBytes(restored) == readBytes(upload))
        }
        // The other artefacts restore too, and are what they say they are.
        let preview = vault.directory.file("preview.opus")
        _ = try await Restore(vault: vault.vault).run(take: result.takeID, artefact: .preview, to: preview)
        #expect(try AudioProbe.probe(path: preview).subtype == "opus")
        _ = try await Restore(vault: vault.vault).run(take: result.takeID, artefact: .waveform, to: vault.directory.file("w.dat"))
        #expect(readBytes(vault.directory.file("w.dat")).prefix(4) == [2, 0, 0, 0])
    }

    @Test("synthesised 16- and 24-bit PCM and float uploads restore exactly", arguments: [16, 24, 32])
    func synthesisedRoundTrip(bits: Int) async throws {
        let vault = try TestVault()
        let upload = vault.directory.file("take.wav")
        if bits == 32 {
            var generator = SplitMix64(seed: 9)
            let channels = (0..<2).map { _ in (0..<30_000).map { _ in Float.random(in: -0.9...0.9, using: &generator) } }
            writeFloatWAV(upload, channels: channels)
        } else {
            writeWAV(upload, channels: toneChannels(2, frames: 30_000, bits: bits), bits: bits)
        }
        let result = try await vault.ingest(upload)
        let restored = vault.directory.file("restored")
        let artefact = try await Restore(vault: vault.vault).run(take: result.takeID, artefact: .master, to: restored)
        if bits == 32 {
            #expect(artefact.codec == "original")
            #expect(readBytes(restored) == readBytes(upload))
        } else {
            #expect(artefact.codec == "flac")
            #expect(try flacSamples(restored) == integerSamples(upload))
        }
    }

    @Test("ingesting the same upload twice gives the same take and writes nothing new")
    func idempotent() async throws {
        let vault = try TestVault()
        let upload = RepositoryPaths.samples + "/keys-48k24-stereo.wav"
        let first = try await vault.ingest(upload)
        let objects = try await vault.vault.store.list(prefix: "v1/")
        let second = try await vault.ingest(upload)
        #expect(second.takeID == first.takeID)
        #expect(!second.created)
        #expect(try await vault.vault.store.list(prefix: "v1/") == objects)
        #expect(try await vault.vault.catalog.takes().count == 1)
        // Another owner ingesting the same file gets a different, unlinkable take.
        let other = try await vault.ingest(upload, owner: "bob")
        #expect(other.takeID != first.takeID)
    }

    @Test("the manifest keeps what the policy says: owner, session, participants, transport, settings, analysis")
    func manifestContents() async throws {
        let vault = try TestVault { $0.targetLUFS = -14; $0.chunkSize = 64 * 1_024 }
        let metadata = try TakeMetadata.parse(#"{"session_id":"s-42","participants":[{"id":"u2","role":"producer"}],"recorded_at":"2026-11-28T20:00:00Z","daw_transport":{"tempo":96,"time_signature":"6/8","position":"12.1.1"}}"#)
        let result = try await vault.ingest(RepositoryPaths.samples + "/guitar-44k16-stereo.wav", tier: .pro, metadata: metadata)
        let manifest = try await Inspect(vault: vault.vault).run(take: result.takeID)
        let body = manifest.body
        #expect(body.sessionID == "s-42")
        #expect(body.participants == [Participant(id: "u2", role: "producer")])
        #expect(body.recordedAt == "2026-11-28T20:00:00Z")
        #expect(body.dawTransport?["tempo"]?.doubleValue == 96)
        #expect(body.original.fileName == "guitar-44k16-stereo.wav")
        #expect(body.tier == .pro)
        #expect(body.retainUntil != nil && manifest.header.retainUntil == body.retainUntil)
        #expect(body.pipeline.settings["target_lufs"]?.doubleValue == -14)
        let reference = try IndependentMeter.measure(RepositoryPaths.samples + "/guitar-44k16-stereo.wav")
        let integrated = try #require(body.analysis["integrated_lufs"]?.doubleValue)
        #expect(abs(integrated - reference.integratedLUFS) <= 0.05, "manifest \(integrated), libebur128 \(reference.integratedLUFS)")
        #expect(Set(body.artefacts.map(\.kind)) == [.master, .preview, .waveform, .report])
        // 64 KiB chunks: the master spans several.
        #expect(body.artefact(.master)!.chunks.count > 1)
        let preview = try #require(body.preview)
        #expect(abs((preview["integrated_lufs"]?.doubleValue ?? 0) + 14) <= 0.5)
    }

    @Test("a rejected upload goes to quarantine with its reason, untouched, and no take is made")
    func quarantine() async throws {
        let vault = try TestVault()
        let bytes = Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEthis is not audio".utf8)
        let upload = vault.directory.write("broken.wav", bytes: bytes)
        await #expect(throws: UploadRejected.self) { _ = try await vault.ingest(upload) }
        #expect(readBytes(upload) == bytes)
        let folders = run("/bin/ls", [vault.directory.file("vault/quarantine")]).standardOutput.split(separator: "\n")
        #expect(folders.count == 1)
        let folder = vault.directory.file("vault/quarantine/" + folders[0])
        #expect(readBytes(folder + "/broken.wav") == bytes)
        let reason = String(decoding: readBytes(folder + "/reason.json"), as: UTF8.self)
        #expect(reason.contains("\"code\" : \"malformed_header\"") || reason.contains("\"code\" : \"unsupported_format\"") || reason.contains("\"code\" : \"header_length_mismatch\""))
        #expect(try await vault.vault.catalog.takes().isEmpty)
        #expect(try await vault.vault.store.list(prefix: "v1/owners/alice/takes/").isEmpty)
    }

    @Test("owner ids that could escape the vault are refused", arguments: ["../x", "/etc", "a/b", "", ".hidden"])
    func badOwner(owner: String) async throws {
        let vault = try TestVault()
        await #expect(throws: DomainValueError.invalidIdentifier(kind: "owner id", value: owner)) {
            _ = try await vault.ingest(RepositoryPaths.samples + "/keys-48k24-stereo.wav", owner: owner)
        }
    }

    @Test("deleting the catalog loses nothing: rebuild recreates it from the store")
    func catalogRebuild() async throws {
        let vault = try TestVault()
        for name in ["keys-48k24-stereo.wav", "voice-take-48k16-mono.wav"] { _ = try await vault.ingest(RepositoryPaths.samples + "/" + name) }
        _ = try await vault.ingest(RepositoryPaths.samples + "/keys-48k24-stereo.wav", owner: "bob", tier: .studio)
        let before = try await vault.vault.catalog.takes().sorted { $0.id < $1.id }
        for suffix in ["", "-wal", "-shm"] { unlink(vault.directory.file("vault/catalog.sqlite" + suffix)) }
        let reopened = try vault.reopen()
        #expect(try await reopened.catalog.takes().isEmpty)
        let summary = try await CatalogRebuild(vault: reopened).run()
        #expect(summary.owners == 2 && summary.takes == 3)
        #expect(try await reopened.catalog.takes().sorted { $0.id < $1.id } == before)
        #expect(try await reopened.catalog.owner("bob")?.tier == .studio)
        // And the vault works as before.
        let result = try await Ingest(vault: reopened).run(IngestRequest(path: RepositoryPaths.samples + "/keys-48k24-stereo.wav", owner: "alice", tier: .free))
        #expect(!result.created)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The waveform ingest streams to its file is the one the analyser builds in memory.
@Suite("Streamed waveform")
struct StreamedWaveformTests {
    @Test("the stored waveform equals audiowaveform data built in one piece", arguments: [8, 16])
    func sameBytes(bits: Int) async throws {
        let vault = try TestVault { $0.waveformBits = bits; $0.waveformZoom = 64 }
        let upload = RepositoryPaths.samples + "/voice-take-48k16-mono.wav"
        let take = try await vault.ingest(upload).takeID
        let stored = vault.directory.file("w.dat")
        _ = try await Restore(vault: vault.vault).run(take: take, artefact: .waveform, to: stored)
        let whole = try FileAnalysis.analyze(path: upload, options: AnalysisOptions(waveform: WaveformOptions(samplesPerPixel: 64, bits: bits == 8 ? .eight : .sixteen)))
        #expect(readBytes(stored) == whole.waveform!.datBytes())
    }
}
