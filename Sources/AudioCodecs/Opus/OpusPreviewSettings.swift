/// How the Opus preview is encoded.
public struct OpusPreviewSettings: Sendable, Equatable, Codable {
    /// Target bitrate in bits per second for the whole stream (VBR). 128 kbps stereo is
    /// transparent for most listeners on most material; a preview does not need more.
    public var bitrate: Int
    /// libopus complexity 0 … 10; 10 is libopus's default and the best quality per bit.
    public var complexity: Int
    /// OpusHead output gain in dB (stored as Q7.8, so in steps of 1/256 dB): players apply it on
    /// decode. Lets a preview carry its loudness gain without re-encoding.
    public var headerGainDB: Double
    /// `R128_TRACK_GAIN` comment in dB (RFC 7845: relative to −23 LUFS, written as Q7.8), or `nil`
    /// to omit it.
    public var r128TrackGainDB: Double?
    /// Ogg stream serial number; `nil` picks a random one (as every Ogg writer should). Tests fix it
    /// to get identical bytes for identical input.
    public var serialNumber: Int32?

    public init(bitrate: Int = 128_000, complexity: Int = 10, headerGainDB: Double = 0, r128TrackGainDB: Double? = nil, serialNumber: Int32? = nil) {
        self.bitrate = bitrate
        self.complexity = complexity
        self.headerGainDB = headerGainDB
        self.r128TrackGainDB = r128TrackGainDB
        self.serialNumber = serialNumber
    }

    /// Throws ``CodecFailure/invalidSetting(name:value:allowed:)`` for values libopus would refuse.
    public func validate() throws {
        guard (6_000...510_000).contains(bitrate) else {
            throw CodecFailure.invalidSetting(name: "opus bitrate", value: "\(bitrate)", allowed: "6000–510000 bit/s")
        }
        guard (0...10).contains(complexity) else {
            throw CodecFailure.invalidSetting(name: "opus complexity", value: "\(complexity)", allowed: "0–10")
        }
        for (name, gain) in [("opus header gain", headerGainDB), ("R128 track gain", r128TrackGainDB ?? 0)] {
            guard gain.isFinite, abs(gain) < 128 else {
                throw CodecFailure.invalidSetting(name: name, value: "\(gain) dB", allowed: "−128 … +128 dB")
            }
        }
    }

    /// A gain in dB as the Q7.8 integer Opus headers and R128 tags use.
    static func q78(_ decibels: Double) -> Int32 {
        Int32((decibels * 256).rounded())
    }
}

/// What a finished Opus preview is.
public struct OpusPreviewSummary: Sendable, Equatable, Codable {
    /// Frames of input encoded (at the input's rate).
    public var inputFrames: Int64
    /// Rate of the input; the stream itself is always 48 kHz.
    public var inputSampleRate: Int
    /// Channels in the preview (1 or 2).
    public var channels: Int
    /// Whether the input had more than two channels and was folded to stereo.
    public var downmixed: Bool
    /// Size of the file.
    public var bytes: Int64
    /// The settings used.
    public var settings: OpusPreviewSettings
}
