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

extension RelayClient {
    /// `PATCH /v1/takes/{take}` with a JSON correction (`session_id`, `participants`, `recorded_at`,
    /// `daw_transport`; `null` clears one): the answer's JSON (`generation`, `changed`).
    public func amendTake(_ take: String, correction: [UInt8]) async throws -> JSONValue {
        var request = Request(method: .PATCH, path: "/v1/takes/" + take)
        request.bytes = correction
        request.bodySHA256 = RelayClient.sha256(bytes: correction)
        let answer = try await send(request, timeout: .seconds(120))
        if let failure = answer.failure { throw failure }
        return try answer.decode(JSONValue.self)
    }
}
