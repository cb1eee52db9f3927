/// How the lossless master is encoded. Every setting changes size and speed, never the samples.
public struct FLACSettings: Sendable, Equatable, Codable {
    /// libFLAC compression level, 0 (fastest) … 8 (smallest). 5 is libFLAC's and `flac`'s default:
    /// within ~1 % of level 8's size at a fraction of its time.
    public var compressionLevel: Int
    /// Distance between seek points, in seconds of audio. 10 s is what `flac` writes by default.
    public var seekPointSpacingSeconds: Int
    /// A PADDING block of this many bytes lets tags be edited later without rewriting the audio.
    public var paddingBytes: Int

    public init(compressionLevel: Int = 5, seekPointSpacingSeconds: Int = 10, paddingBytes: Int = 4_096) {
        self.compressionLevel = compressionLevel
        self.seekPointSpacingSeconds = seekPointSpacingSeconds
        self.paddingBytes = paddingBytes
    }

    /// Throws ``CodecFailure/invalidSetting(name:value:allowed:)`` for values libFLAC would refuse.
    public func validate() throws {
        guard (0...8).contains(compressionLevel) else {
            throw CodecFailure.invalidSetting(name: "flac compression level", value: "\(compressionLevel)", allowed: "0–8")
        }
        guard seekPointSpacingSeconds > 0 else {
            throw CodecFailure.invalidSetting(name: "seek point spacing", value: "\(seekPointSpacingSeconds)", allowed: "≥ 1 s")
        }
        guard (0...(1 << 24) - 1).contains(paddingBytes) else {
            throw CodecFailure.invalidSetting(name: "padding", value: "\(paddingBytes)", allowed: "0–16777215 bytes")
        }
    }
}

/// What a finished FLAC master is.
public struct FLACMasterSummary: Sendable, Equatable, Codable {
    /// Frames encoded.
    public var frames: Int64
    /// Bits per sample stored.
    public var bitsPerSample: Int
    /// The MD5 of the decoded audio that libFLAC wrote into STREAMINFO, lower-case hex.
    public var md5: String
    /// Size of the file.
    public var bytes: Int64
    /// The settings used.
    public var settings: FLACSettings
}
