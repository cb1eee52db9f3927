import AudioTestSupport
import Foundation
import RelayAPI
import TestSupport

/// What the relay tests share, in-process or against a `serve` process: the two relays' keys, the
/// takes they upload and the signed requests they send.
public enum RelayFixtures {
    /// Relay A may upload for every owner.
    public static let relayA = RelayCredentials(keyID: "relay-a", secret: Array("relay-a-secret-0123456789abcdef0123456789".utf8))
    /// Relay B may upload for `u1` and the `team-*` owners only.
    public static let relayB = RelayCredentials(keyID: "relay-b", secret: Array("relay-b-secret-0123456789abcdef0123456789".utf8))
    /// Relay B's owner patterns.
    public static let relayBOwners = ["u1", "team-*"]

    /// A synthesised take: `seconds` of 48 kHz tone and noise, `bits`-bit, `channels` channels.
    public static func take(_ directory: TestDirectory, _ name: String, seconds: Double, bits: Int = 24, channels: Int = 2,
                            seed: UInt64 = 1) -> (path: String, samples: [[Int32]]) {
        let samples = toneChannels(channels, frames: Int(seconds * 48_000), bits: bits, seed: seed)
        let path = directory.file(name)
        writeWAV(path, channels: samples, bits: bits)
        return (path, samples)
    }

    /// A signed upload request for `file` (tests alter it to forge). The metadata is written as
    /// plain JSON, so a test can send a tier no `UploadMetadata` can hold.
    public static func uploadRequest(_ file: String, owner: String = "u1", tier: String = "pro", key: String? = nil) throws -> RelayClient.Request {
        var request = RelayClient.Request(method: .POST, path: "/v1/takes")
        request.file = file
        request.bodySHA256 = try RelayClient.sha256(file: file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        request.metadataHeader = Base64URL.encode(Array(try encoder.encode(["owner": owner, "tier": tier, "file_name": "take.wav"])))
        request.idempotencyKey = key ?? "key-\(UInt64.random(in: 0...UInt64.max))"
        return request
    }

    /// ``heldUploads(vault:store:)`` once a finished job's worker has let go: a job reads `done`
    /// just before its worker removes the staged upload and its fetched copy, so this looks again
    /// (every 50 ms, for up to 10 s) while anything is held.
    public static func heldUploadsOnceSettled(vault: String, store: String? = nil) async -> [String] {
        var held = heldUploads(vault: vault, store: store)
        for _ in 0..<200 where !held.isEmpty {
            try? await Task.sleep(for: .milliseconds(50))
            held = heldUploads(vault: vault, store: store)
        }
        return held
    }

    /// Files in a vault's spool (`accepted/…`, `incoming/…`).
    public static func spoolFiles(vault: String) -> [String] {
        ["accepted", "incoming"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: vault + "/spool/" + folder)) ?? []).map { folder + "/" + $0 }
        }
    }

    /// The uploads a vault holds for its relay jobs: files in its spool (`accepted/…`,
    /// `incoming/…`) and uploads staged in its folder store (`staged/<owner>/<job>`, sealed or
    /// not). `store` defaults to the vault's own `store/` folder.
    public static func heldUploads(vault: String, store: String? = nil) -> [String] {
        let spooled = spoolFiles(vault: vault)
        // FORMAT.md §10: v1/staging/<owner>/<job id>/…
        let staging = (store ?? vault + "/store") + "/v1/staging/"
        let owners = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
        let staged = owners.flatMap { owner in
            ((try? FileManager.default.contentsOfDirectory(atPath: staging + owner)) ?? []).map { "staged/" + owner + "/" + $0 }
        }
        return (spooled + staged).sorted()
    }
}
