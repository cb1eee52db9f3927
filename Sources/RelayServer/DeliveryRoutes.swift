import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import RelayAPI
import TakevaultCore
import TakePipeline

/// The delivery half of the API (docs/RELAY.md, "Delivery"): a take's summary, its artefacts
/// streamed with ranges and entity tags, a session's takes. Every request is signed like an upload;
/// a relay sees the takes of the owners in its scope, and anything else is answered exactly as a
/// take or session that does not exist.
struct DeliveryRoutes: Sendable {
    let vault: Vault
    let authenticator: RelayAuthenticator
    let metrics: RelayMetrics
    let transfers: TransferSlots
    let logger: Logger

    static let defaultPageSize = 50
    /// What one write hands the connection: small enough that a reader that stops reading leaves
    /// little queued behind it, large enough to cost nothing per byte.
    static let writeSize = 256 * 1024
    static let maximumPageSize = 200

    /// The kinds a URL may name (a manifest from a later version may hold others; they are not served).
    static let servedKinds: Set<ArtefactKind> = Set(ArtefactKind.known)

    var delivery: TakeDelivery { TakeDelivery(vault: vault) }

    /// `GET /v1/takes/{take}`.
    func summary(_ request: Request, take: String) async throws -> Response {
        let verified = try await authenticator.authenticateBodyless(request)
        let opened = try await open(take, for: verified)
        return RelayRoutes.json(.ok, opened.summary)
    }

    /// `GET /v1/takes/{take}/artefacts/{kind}`.
    func artefact(_ request: Request, take: String, kind name: String) async throws -> Response {
        let verified = try await authenticator.authenticateBodyless(request)
        let kind = ArtefactKind(rawValue: name)
        let opened = try await open(take, for: verified)
        guard Self.servedKinds.contains(kind) else { throw Self.noArtefact(take, name) }
        // Restriction (docs/RELAY.md): nothing derived from the audio goes out, the master least of all.
        guard !opened.ownerRestricted else {
            throw RelayRefusal(status: .forbidden, code: "owner_restricted",
                               message: "The owner's processing is restricted: the take's artefacts are not delivered until the restriction is lifted.")
        }
        let artefact: DeliverableArtefact
        do { artefact = try opened.artefact(kind) } catch PipelineError.artefactNotFound { throw Self.noArtefact(take, name) }

        let tag = EntityTagCondition.tag(sha256: artefact.sha256)
        var headers = HTTPFields()
        headers[.eTag] = tag
        headers[.acceptRanges] = "bytes"
        headers[.cacheControl] = "private"
        if EntityTagCondition.noneMatchHits(request.headers[.ifNoneMatch], tag: tag) {
            metrics.delivery(kind.rawValue, status: 304)
            return Response(status: .notModified, headers: headers)
        }
        var range: Range<Int64> = 0..<artefact.bytes
        var status = HTTPResponse.Status.ok
        if EntityTagCondition.ifRangeAllows(request.headers[.ifRange], tag: tag) {
            switch ByteRangeRequest.evaluate(request.headers[.range], length: artefact.bytes) {
            case .whole: break
            case .partial(let requested):
                range = requested
                status = .partialContent
                headers[.contentRange] = "bytes \(requested.lowerBound)-\(requested.upperBound - 1)/\(artefact.bytes)"
            case .unsatisfiable:
                metrics.delivery(kind.rawValue, status: 416)
                var response = RelayRoutes.json(.rangeNotSatisfiable, ErrorResponse(code: "range_not_satisfiable",
                    message: "The range asks for no byte of the \(artefact.bytes)-byte \(kind) artefact."))
                response.headers[.contentRange] = "bytes */\(artefact.bytes)"
                return response
            }
        }
        headers[.contentType] = artefact.mediaType
        guard let ticket = transfers.take() else {
            throw RelayRefusal.busy("\(transfers.limit) transfers are under way; try again shortly.", retryAfter: 1)
        }
        metrics.delivery(kind.rawValue, status: Int(status.code))
        let store = vault.store, metrics = metrics, logger = logger, delivery = delivery, owner = opened.owner
        let length = range.upperBound - range.lowerBound
        // The first chunks are fetched while the headers go out, not after.
        let outgoing = artefact.prepareStream(range, from: store)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            // The transfer's place is held until the body has been written (or given up), not for
            // as long as the connection keeps the response.
            defer { ticket.release() }
            do {
                try await outgoing.send(stillAllowed: { try await delivery.checkStillDeliverable(owner: owner) }) { bytes in
                    // Slices of the opened chunk, not copies.
                    var rest = bytes
                    while let piece = rest.readSlice(length: min(Self.writeSize, rest.readableBytes)), piece.readableBytes > 0 {
                        try await writer.write(piece)
                    }
                    metrics.deliveredBytes(Int64(bytes.readableBytes))
                }
                try await writer.finish(nil)
            } catch let error as ReasonCoded where error.category == .integrity {
                // Already under way: the only safe answer is a broken transfer. Never wrong bytes.
                if await !artefact.manifestStillStored(in: store) {
                    metrics.deliveryFailure("take_gone")
                    logger.notice("delivery aborted: the take was deleted meanwhile", metadata: ["take": "\(take)", "artefact": "\(kind)"])
                    throw error
                }
                metrics.deliveryFailure(error.code)
                logger.error("delivery aborted: integrity failure", metadata: ["take": "\(take)", "artefact": "\(kind)", "code": "\(error.code)", "detail": "\(error.message)"])
                throw error
            } catch let error as PipelineError where error.code == "owner_restricted" || error.code == "owner_erased" {
                metrics.deliveryFailure(error.code)
                logger.notice("delivery ended: the owner was restricted or erased meanwhile", metadata: ["take": "\(take)", "artefact": "\(kind)", "code": "\(error.code)"])
                throw error
            } catch {
                metrics.deliveryFailure("transfer")
                logger.notice("delivery aborted", metadata: ["take": "\(take)", "artefact": "\(kind)", "error": "\(error)"])
                throw error
            }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// `GET /v1/sessions/{session}/takes?owner=…[&limit=N][&after=TOKEN]`.
    func session(_ request: Request, session: String) async throws -> Response {
        let verified = try await authenticator.authenticateBodyless(request)
        let query = request.uri.queryParameters
        guard let owner = query["owner"].map(String.init), !owner.isEmpty else {
            throw RelayRefusal.badRequest("owner_missing", "Name the session's owner: ?owner=ID.")
        }
        var limit = Self.defaultPageSize
        if let text = query["limit"] {
            guard let value = Int(text), (1...Self.maximumPageSize).contains(value) else {
                throw RelayRefusal.badRequest("limit_invalid", "limit is 1 to \(Self.maximumPageSize).")
            }
            limit = value
        }
        var cursor: SessionCursor?
        if let token = query["after"] {
            guard let parsed = SessionCursor(token: String(token)), parsed.owner == owner, parsed.session == session else {
                throw RelayRefusal.badRequest("cursor_invalid", "after= takes the `next` value of a previous page, as it was.")
            }
            cursor = parsed
        }
        let notFound = RelayRefusal(status: .notFound, code: "session_not_found", message: "No session \(session.prefix(64)) of owner \(owner.prefix(64)).")
        guard Identifier.isValid(owner), Identifier.isValid(session), verified.relay.scope.permits(owner),
              let record = try await vault.catalog.owner(owner), record.erasedAt == nil else { throw notFound }
        let page = try await delivery.sessionTakes(owner: owner, session: session, after: cursor, limit: limit)
        // An empty first page and a session that never was look the same; so does any page of a
        // session with no takes at all, whatever cursor is offered (cursors are not signed: a
        // made-up one must not tell an empty session from a missing one any more than no cursor).
        if page.takes.isEmpty {
            guard cursor != nil, try await !delivery.sessionTakes(owner: owner, session: session, after: nil, limit: 1).takes.isEmpty else { throw notFound }
        }
        return RelayRoutes.json(.ok, page)
    }

    private func open(_ take: String, for verified: RelayAuthenticator.Verified) async throws -> DeliverableTake {
        do {
            return try await delivery.open(take: take, permits: verified.relay.scope.permits)
        } catch PipelineError.takeNotFound {
            throw RelayRefusal(status: .notFound, code: "take_not_found", message: "No take \(take.prefix(64)) for relay \(verified.relay.keyID).")
        }
    }

    private static func noArtefact(_ take: String, _ kind: String) -> RelayRefusal {
        RelayRefusal(status: .notFound, code: "artefact_not_found", message: "Take \(take.prefix(64)) has no artefact \(kind.prefix(32)).")
    }
}
