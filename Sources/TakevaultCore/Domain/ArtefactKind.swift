/// What an artefact of a take is: the lossless `master`, the Opus `preview`, the `waveform` data
/// or the analysis `report` (FORMAT.md §6.2).
///
/// An open set rather than an enum: a manifest written by a later version may list a kind this one
/// does not know, and such a manifest must still open (its other artefacts restore, its chunks stay
/// referenced); the unknown kind reads as itself. The kinds this version makes are the static
/// members, and `known` lists them.
public struct ArtefactKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let master = ArtefactKind(rawValue: "master")
    public static let preview = ArtefactKind(rawValue: "preview")
    public static let waveform = ArtefactKind(rawValue: "waveform")
    public static let report = ArtefactKind(rawValue: "report")

    /// The kinds this version writes, in the order a take lists them.
    public static let known: [ArtefactKind] = [.master, .preview, .waveform, .report]

    public var description: String { rawValue }
}
