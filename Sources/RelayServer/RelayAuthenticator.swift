import Hummingbird
import HTTPTypes
import RelayAPI
import TakeCatalog
import TakePipeline

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks a request's signature (docs/RELAY.md, "Signing") before anything is read or kept:
/// a known relay, a fresh timestamp, a valid HMAC over the declared body hash, an unused nonce.
/// The body itself is checked against the declared hash once it has arrived.
struct RelayAuthenticator: Sendable {
    let configuration: RelayConfiguration
    let catalog: Catalog
    let clock: PipelineClock

    /// What a valid signature vouches for.
    struct Verified: Sendable {
        var relay: RelayKey
        var declaredBodySHA256: String
        var idempotencyKey: String
        var metadataHeader: String
    }

    func authenticate(_ request: Request) throws -> Verified {
        let headers = request.headers
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        guard let authorization = header(RelayHeaders.authorization), let credential = RelaySignature.parseAuthorization(authorization) else {
            throw RelayRefusal.unauthenticated("auth_missing", "The request is not signed: send Authorization: \(RelaySignature.algorithm) Credential=…, Signature=….")
        }
        guard let relay = configuration.relay(credential.keyID) else {
            throw RelayRefusal.unauthenticated("auth_unknown_key", "The key id \(credential.keyID.prefix(64)) is not a relay this server knows.")
        }
        guard let dateText = header(RelayHeaders.date), let timestamp = Int64(dateText) else {
            throw RelayRefusal.unauthenticated("auth_missing", "\(RelayHeaders.date) (Unix seconds) is missing.")
        }
        let now = Int64(clock.now().timeIntervalSince1970)
        guard abs(now - timestamp) <= configuration.allowedClockSkewSeconds else {
            throw RelayRefusal.unauthenticated("auth_stale", "The request was signed at \(timestamp), \(now - timestamp) s from the server's clock; at most \(configuration.allowedClockSkewSeconds) s is accepted.")
        }
        guard let nonce = header(RelayHeaders.nonce), (16...128).contains(nonce.utf8.count), nonce.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw RelayRefusal.unauthenticated("auth_missing", "\(RelayHeaders.nonce) must be 16–128 printable characters, new for every request.")
        }
        let bodySHA256 = header(RelayHeaders.contentSHA256)?.lowercased() ?? ""
        guard bodySHA256.utf8.count == 64, bodySHA256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw RelayRefusal.unauthenticated("auth_missing", "\(RelayHeaders.contentSHA256) must be the body's SHA-256 in hex.")
        }
        let idempotencyKey = header(RelayHeaders.idempotencyKey) ?? ""
        let metadataHeader = header(RelayHeaders.metadata) ?? ""
        let signature = RelaySignature(method: request.method.rawValue, path: request.head.path ?? "/", timestamp: timestamp, nonce: nonce,
                                       idempotencyKey: idempotencyKey, metadataHeader: metadataHeader, bodySHA256: bodySHA256)
        guard signature.verify(signature: credential.signature, secret: relay.secret) else {
            throw RelayRefusal.unauthenticated("auth_invalid_signature", "The signature does not match the request under relay \(relay.keyID)'s secret.")
        }
        // Only a validly signed request spends its nonce: nobody else can burn a relay's nonces.
        let expires = Timestamp.string(Date(timeIntervalSince1970: TimeInterval(timestamp + configuration.allowedClockSkewSeconds + 1)))
        guard try catalog.recordNonce(keyID: relay.keyID, nonce: nonce, expiresAt: expires, now: Timestamp.string(clock.now())) else {
            throw RelayRefusal.unauthenticated("auth_replayed", "This request (its nonce) was already used: a replay is refused. Sign each request afresh.")
        }
        return Verified(relay: relay, declaredBodySHA256: bodySHA256, idempotencyKey: idempotencyKey, metadataHeader: metadataHeader)
    }
}
