import Hummingbird
import HTTPTypes
import RelayAPI

/// Answers what no route matched — an unknown path, or a method a path does not take — with the
/// API's JSON error body rather than the framework's empty one, so that every refusal a client
/// sees carries a reason code (docs/RELAY.md, "Errors").
struct UnmatchedRouteAnswer<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let notFound = error.status == .notFound
            return RelayRoutes.json(error.status, ErrorResponse(
                code: notFound ? "route_not_found" : "method_not_allowed",
                message: notFound ? "No such endpoint: see docs/RELAY.md for the API." : "This endpoint does not take \(request.method)."))
        }
    }
}
