import Hummingbird
import Logging
import RelayAPI
import TakevaultCore
import TakePipeline

/// The requests that change a take: `DELETE /v1/takes/{take}`, `DELETE /v1/sessions/{session}?owner=…`
/// (docs/RELAY.md, "Deletion") and `PATCH /v1/takes/{take}` ("Correction"): signed like every
/// request, scoped like delivery (a take or session the relay may not see is as absent as one that
/// does not exist); deletion is refused with `409` while a hold covers it.
struct TakeChangeRoutes: Sendable {
    let vault: Vault
    let authenticator: RelayAuthenticator
    let logger: Logger

    func deleteTake(_ request: Request, take: String) async throws -> Response {
        let verified = try await authenticator.authenticateBodyless(request)
        let results: [TakeDeletion.Result]
        do {
            results = try await TakeDeletion(vault: vault).delete(takes: [take], by: Self.actor(verified), searchStore: false,
                                                                  permits: verified.relay.scope.permits)
        } catch let error as PipelineError {
            throw Self.refusal(error, notFound: RelayRefusal(status: .notFound, code: "take_not_found",
                                                             message: "No take \(take.prefix(64)) for relay \(verified.relay.keyID)."))
        }
        logger.info("takes deleted", metadata: ["relay": "\(verified.relay.keyID)", "takes": "\(results.map(\.takes.count).reduce(0, +))"])
        return RelayRoutes.json(.ok, DeletionAnswer(results))
    }

    func deleteSession(_ request: Request, session: String) async throws -> Response {
        let verified = try await authenticator.authenticateBodyless(request)
        guard let owner = request.uri.queryParameters["owner"].map(String.init), !owner.isEmpty else {
            throw RelayRefusal.badRequest("owner_missing", "Name the session's owner: ?owner=ID.")
        }
        let notFound = RelayRefusal(status: .notFound, code: "session_not_found", message: "No session \(session.prefix(64)) of owner \(owner.prefix(64)).")
        guard verified.relay.scope.permits(owner), Identifier.isValid(owner), try await vault.catalog.owner(owner) != nil else { throw notFound }
        let result: TakeDeletion.Result
        do {
            result = try await TakeDeletion(vault: vault).delete(session: session, owner: owner, by: Self.actor(verified))
        } catch let error as PipelineError {
            throw Self.refusal(error, notFound: notFound)
        }
        logger.info("session deleted", metadata: ["relay": "\(verified.relay.keyID)", "takes": "\(result.takes.count)"])
        return RelayRoutes.json(.ok, DeletionAnswer([result]))
    }

    func amend(_ request: Request, take: String) async throws -> Response {
        let verified = try await authenticator.authenticate(request)
        let body: [UInt8]
        do {
            var buffer = try await request.body.collect(upTo: MetadataCorrection.maximumBytes)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw RelayRefusal.tooLarge("correction_too_large", "A correction is at most \(MetadataCorrection.maximumBytes) bytes of JSON.")
        }
        guard RelayClient.sha256(bytes: body) == verified.declaredBodySHA256 else {
            throw RelayRefusal.unauthenticated("auth_body_mismatch", "The body does not hash to the signed X-Takevault-Content-SHA256.")
        }
        let correction: MetadataCorrection
        do { correction = try MetadataCorrection.parse(body) } catch let error as PipelineError {
            throw RelayRefusal.badRequest("metadata_invalid", error.message)
        }
        let result: TakeAmendment.Result
        do {
            result = try await TakeAmendment(vault: vault).amend(take: take, correction: correction, by: Self.actor(verified), searchStore: false,
                                                                 permits: verified.relay.scope.permits)
        } catch let error as PipelineError {
            throw Self.refusal(error, notFound: RelayRefusal(status: .notFound, code: "take_not_found",
                                                             message: "No take \(take.prefix(64)) for relay \(verified.relay.keyID)."))
        }
        logger.info("take corrected", metadata: ["relay": "\(verified.relay.keyID)", "fields": "\(result.changed.joined(separator: ","))"])
        return RelayRoutes.json(.ok, result)
    }

    /// Who asked, as the audit event records it.
    static func actor(_ verified: RelayAuthenticator.Verified) -> String { "relay:" + verified.relay.keyID }

    /// Holds are `409` with their code; anything that means "not there for you" is `notFound`.
    static func refusal(_ error: PipelineError, notFound: RelayRefusal) -> Error {
        switch error {
        case .takeNotFound, .sessionNotFound, .ownerErased: notFound
        case .ownerHeld, .takeHeld: RelayRefusal(status: .conflict, code: error.code, message: error.message)
        default: error
        }
    }
}

/// The answer to a deletion: the takes deleted (by owner) and what that freed.
struct DeletionAnswer: Encodable {
    var deleted: [TakeDeletion.Result]
    var takes: Int

    init(_ results: [TakeDeletion.Result]) {
        deleted = results
        takes = results.map(\.takes.count).reduce(0, +)
    }
}
