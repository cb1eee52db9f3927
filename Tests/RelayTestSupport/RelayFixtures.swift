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

    /// Files in a vault's spool (accepted and incoming).
    public static func spoolFiles(vault: String) -> [String] {
        ["accepted", "incoming"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: vault + "/spool/" + folder)) ?? []).map { folder + "/" + $0 }
        }
    }
}
