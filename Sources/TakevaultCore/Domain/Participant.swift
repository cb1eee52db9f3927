/// Someone in the session and what they did (`performer`, `engineer`, `producer`, …).
public struct Participant: Sendable, Equatable, Codable {
    public var id: String
    public var role: String

    public init(id: String, role: String) {
        self.id = id
        self.role = role
    }
}
