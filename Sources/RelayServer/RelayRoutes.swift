import Hummingbird
import HTTPTypes
import Logging
import NIOHTTP1
import TakevaultCore
import RelayAPI
import TakeCatalog
import TakePipeline

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The HTTP surface (docs/RELAY.md): uploads, job status, health, readiness, metrics.
struct RelayRoutes: Sendable {
    let vault: Vault
    let uploads: UploadHandler
    let authenticator: RelayAuthenticator
    let jobs: RelayJobs
    let board: JobProgressBoard
    let spool: UploadSpool
    let metrics: RelayMetrics
    let transfers: TransferSlots
    let logger: Logger

    var delivery: DeliveryRoutes { DeliveryRoutes(vault: vault, authenticator: authenticator, metrics: metrics, transfers: transfers, logger: logger) }
    var changes: TakeChangeRoutes { TakeChangeRoutes(vault: vault, authenticator: authenticator, logger: logger) }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: UnmatchedRouteAnswer())
        router.post("/v1/takes") { request, _ in await self.upload(request) }
        router.get("/v1/jobs/:id") { request, context in await self.job(request, id: context.parameters.get("id") ?? "") }
        router.get("/v1/takes/:take") { request, context in
            await self.answer(route: "take") { try await delivery.summary(request, take: context.parameters.get("take") ?? "") }
        }
        router.get("/v1/takes/:take/artefacts/:kind") { request, context in
            await self.answer(route: "artefact") {
                try await delivery.artefact(request, take: context.parameters.get("take") ?? "", kind: context.parameters.get("kind") ?? "")
            }
        }
        router.get("/v1/sessions/:session/takes") { request, context in
            await self.answer(route: "session") { try await delivery.session(request, session: context.parameters.get("session") ?? "") }
        }
        router.delete("/v1/takes/:take") { request, context in
            await self.answer(route: "delete_take") { try await changes.deleteTake(request, take: context.parameters.get("take") ?? "") }
        }
        router.delete("/v1/sessions/:session") { request, context in
            await self.answer(route: "delete_session") { try await changes.deleteSession(request, session: context.parameters.get("session") ?? "") }
        }
        router.patch("/v1/takes/:take") { request, context in
            await self.answer(route: "amend") { try await changes.amend(request, take: context.parameters.get("take") ?? "") }
        }
        router.get("/healthz") { _, _ in Self.json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in await self.readiness() }
        router.get("/metrics") { _, _ in await self.exposition() }
        return router
    }

    private func upload(_ request: Request) async -> Response {
        let started = ContinuousClock.now
        do {
            let accepted = try await uploads.accept(request)
            metrics.upload(accepted.duplicate ? "duplicate" : "accepted")
            metrics.acknowledgement(ContinuousClock.now - started)
            let location = "/v1/jobs/" + accepted.job.id
            logger.info("upload accepted", metadata: ["job_id": "\(accepted.job.id)", "duplicate": "\(accepted.duplicate)", "owner": "\(accepted.job.ownerID ?? "")"])
            var response = Self.json(.accepted, AcceptedUpload(jobID: accepted.job.id, state: accepted.job.state, location: location, duplicate: accepted.duplicate))
            response.headers[.location] = location
            return response
        } catch {
            metrics.upload("refused")
            return refusalResponse(error, route: "upload")
        }
    }

    private func job(_ request: Request, id: String) async -> Response {
        do {
            let verified = try await authenticator.authenticateBodyless(request)
            // Relays see only their own jobs; another's job is as absent as a missing one.
            guard let job = try await jobs.catalog.job(id), job.kind == RelayJobs.kind, job.relayKeyID == verified.relay.keyID else {
                throw RelayRefusal(status: .notFound, code: "job_not_found", message: "No job \(id.prefix(64)) for relay \(verified.relay.keyID).")
            }
            return Self.json(.ok, try jobs.document(job, progress: board.progress(job.id)))
        } catch {
            return refusalResponse(error, route: "job")
        }
    }

    /// Ready when the catalog answers, the store answers and the spool takes a synced write. The
    /// answer names the node and what it checked, so a load balancer's view can be read per node.
    private func readiness() async -> Response {
        var checks = await vault.health()
        checks["spool"] = spool.isWritable() ? "ok" : "not writable"
        let ready = checks.values.allSatisfy { $0 == "ok" }
        var body = ["status": ready ? "ready" : "not ready"].merging(checks) { a, _ in a }
        body["node"] = metrics.node
        body["catalog_kind"] = vault.catalogIsShared ? "postgresql" : "sqlite"
        var response = Self.json(ready ? .ok : .serviceUnavailable, body)
        if !ready { response.headers[.retryAfter] = String(uploads.configuration.retryAfterSeconds) }
        return response
    }

    private func exposition() async -> Response {
        if let counts = try? await jobs.catalog.jobCounts(kind: RelayJobs.kind) {
            metrics.queueDepth(queued: counts[.queued] ?? 0, processing: counts[.processing] ?? 0, parked: counts[.parked] ?? 0)
        }
        metrics.spoolBytes(spool.bytesInUse)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    /// `handler`'s response, or the refusal its error maps to.
    private func answer(route: String, _ handler: () async throws -> Response) async -> Response {
        do { return try await handler() } catch { return refusalResponse(error, route: route) }
    }

    private func refusalResponse(_ error: Error, route: String) -> Response {
        let refusal: RelayRefusal
        if let known = error as? RelayRefusal {
            refusal = known
        } else if error is HTTPParserError {
            // The request's framing broke mid-body (a chunk size that is not one, say): the client's fault.
            refusal = RelayRefusal(status: .badRequest, code: "request_malformed", message: "The request body is not valid HTTP/1.1 framing: \(error).")
        } else if let coded = error as? ReasonCoded, let answer = Self.unavailableAnswers[coded.code] {
            // The catalog or the store cannot be reached (PostgreSQL restarting, the network), or
            // this node's master key is outdated: nothing was taken in; the client retries (another
            // node, or later). What failed and where stays in the log, not the answer.
            logger.warning("unavailable", metadata: ["code": "\(coded.code)", "error": "\(coded.message)"])
            refusal = RelayRefusal(status: .serviceUnavailable, code: coded.code, message: answer, retryAfter: uploads.configuration.retryAfterSeconds)
        } else if let coded = error as? ReasonCoded {
            refusal = RelayRefusal(status: .internalServerError, code: coded.code, message: coded.message)
            if coded.code.hasPrefix("store") { metrics.storeError() }
        } else {
            refusal = RelayRefusal(status: .internalServerError, code: "relay_error", message: "\(error)")
        }
        metrics.rejection(refusal.code)
        logger.notice("refused", metadata: ["route": "\(route)", "status": "\(refusal.status.code)", "code": "\(refusal.code)"])
        var response = Self.json(refusal.status, ErrorResponse(code: refusal.code, message: refusal.message))
        if let seconds = refusal.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    /// Failures answered `503` with `Retry-After` and a message of their own (the error's may say
    /// where the catalog or store is).
    static let unavailableAnswers = [
        "catalog_unavailable": "The catalog is unavailable; try again later.",
        "store_unavailable": "The store is unavailable; try again later.",
        "master_key_outdated": "This node cannot seal uploads until its master key is brought up to date; try again later or through another node.",
        "upload_interrupted": "The upload was removed from the store while it arrived; send it again.",
    ]

    static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)).map(Array.init) ?? Array(#"{"error":{"code":"relay_error","message":"unencodable"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes + [0x0a])))
    }
}
