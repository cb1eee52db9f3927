/// Where a relay job's callback stands (`jobs.callback_state`; `nil` when the relay named no
/// callback URL): waiting to be sent, delivered, or given up on (refused target or attempts spent).
public enum CallbackState: String, Sendable, Codable, CaseIterable {
    case pending
    case delivered
    case failed
}
