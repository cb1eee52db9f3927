import Crypto
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
/// well-formed signing headers, a fresh timestamp, a valid HMAC over the declared body hash under
/// a known relay's secret, an unused nonce. The body itself is checked against the declared hash
/// once it has arrived.
///
/// An unknown key id and a wrong signature are one answer (`auth_invalid_signature`, the same
/// message, and an HMAC computed either way), so key ids cannot be enumerated; every check that
/// comes before them depends on the request alone, never on which keys exist.
struct RelayAuthenticator: Sendable {
    let configuration: RelayConfiguration
    let catalog: any Catalog
    let clock: PipelineClock
    /// Stands in for the secret of a key id nobody has, so refusing one costs what refusing a
    /// wrong signature costs.
    private let unknownKeySecret: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }

    init(configuration: RelayConfiguration, catalog: any Catalog, clock: PipelineClock) {
        self.configuration = configuration
        self.catalog = catalog
        self.clock = clock
    }

    /// What a valid signature vouches for.
    struct Verified: Sendable {
        var relay: RelayKey
        var declaredBodySHA256: String
        var idempotencyKey: String
        var metadataHeader: String
    }

    /// Authenticates a request without a body (`GET`, `DELETE`): signed with the SHA-256 of no bytes.
    func authenticateBodyless(_ request: Request) async throws -> Verified {
        let verified = try await authenticate(request)
        guard verified.declaredBodySHA256 == RelaySignature.emptyBodySHA256 else {
            throw RelayRefusal.unauthenticated("auth_body_mismatch", "A \(request.method.rawValue) is signed with the SHA-256 of an empty body.")
        }
        return verified
    }

    func authenticate(_ request: Request) async throws -> Verified {
        let headers = request.headers
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        let signed: SignedRequestHeaders
        switch SignedRequestHeaders.parse(
            authorization: header(RelayHeaders.authorization), date: header(RelayHeaders.date), nonce: header(RelayHeaders.nonce),
            contentSHA256: header(RelayHeaders.contentSHA256), idempotencyKey: header(RelayHeaders.idempotencyKey),
            metadata: header(RelayHeaders.metadata))
        {
        case .success(let parsed): signed = parsed
        case .failure(let problem):
            if problem.code.hasPrefix("auth_") { throw RelayRefusal.unauthenticated(problem.code, problem.message) }
            throw RelayRefusal.badRequest(problem.code, problem.message)
        }
        // Both values are bounded (the parser caps the timestamp at 11 digits): no overflow here.
        let now = Int64(clock.now().timeIntervalSince1970)
        let skew = now - signed.timestamp
        guard skew.magnitude <= configuration.allowedClockSkewSeconds.magnitude else {
            throw RelayRefusal.unauthenticated("auth_stale", "The request was signed at \(signed.timestamp), \(skew) s from the server's clock; at most \(configuration.allowedClockSkewSeconds) s is accepted.")
        }
        let relay = configuration.relay(signed.keyID)
        let valid = signed.signature(method: request.method.rawValue, path: request.head.path ?? "/")
            .verify(signature: signed.signature, secret: relay?.secret ?? unknownKeySecret)
        guard let relay, valid else {
            throw RelayRefusal.unauthenticated("auth_invalid_signature", "The signature does not match the request and the key id.")
        }
        // Only a validly signed request spends its nonce: nobody else can burn a relay's nonces.
        let expires = Timestamp.string(Date(timeIntervalSince1970: TimeInterval(signed.timestamp + configuration.allowedClockSkewSeconds + 1)))
        guard try await catalog.recordNonce(keyID: relay.keyID, nonce: signed.nonce, expiresAt: expires, now: Timestamp.string(clock.now())) else {
            throw RelayRefusal.unauthenticated("auth_replayed", "This request (its nonce) was already used: a replay is refused. Sign each request afresh.")
        }
        return Verified(relay: relay, declaredBodySHA256: signed.bodySHA256, idempotencyKey: signed.idempotencyKey, metadataHeader: signed.metadataHeader)
    }
}
