import TakevaultCore

extension RelayClient {
    /// `DELETE /v1/takes/{take}`: the answer's JSON (`deleted`, `takes`).
    public func deleteTake(_ take: String) async throws -> JSONValue {
        let answer = try await send(Request(method: .DELETE, path: "/v1/takes/" + take), timeout: .seconds(600))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JSONValue.self)
    }

    /// `DELETE /v1/sessions/{session}?owner=…`: every take of the session.
    public func deleteSession(_ session: String, owner: String) async throws -> JSONValue {
        let answer = try await send(Request(method: .DELETE, path: "/v1/sessions/\(session)?owner=\(owner)"), timeout: .seconds(600))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JSONValue.self)
    }
}
