import ArgumentParser
import TakevaultCore

/// Domain values as command-line arguments (`--tier pro`): ArgumentParser checks them while it
/// parses, lists the choices in `--help`, and an unknown value is a usage error (exit 2) that names
/// them.
extension Tier: ExpressibleByArgument {}

/// Job states name `relay jobs --state` choices.
extension JobState: ExpressibleByArgument {}

/// Only the kinds this version makes can be asked for.
extension ArtefactKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard let kind = Self.known.first(where: { $0.rawValue == argument }) else { return nil }
        self = kind
    }

    public static var allValueStrings: [String] { known.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}
