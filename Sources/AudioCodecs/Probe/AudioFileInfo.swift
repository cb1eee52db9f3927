import AudioDSP

/// What an upload is, read from its headers without decoding its audio.
///
/// Field names map to the `probe` JSON contract (`format`, `subtype`, `sample_rate`, `channels`,
/// `frames`, `duration_s`); the rest are additions operators and later stages use.
public struct AudioFileInfo: Sendable, Equatable, Codable {
    /// The container, lower case: `wav`, `wavex`, `rf64`, `aiff`, `flac`, `ogg`, `mpeg`, `caf`, …
    public var format: String
    /// The encoding inside it: `pcm_16`, `pcm_24`, `float`, `double`, `vorbis`, `opus`, `mp3`, …
    public var subtype: String
    public var sampleRate: Int
    public var channels: Int
    /// Frames (samples per channel) the file holds.
    public var frames: Int64
    public var durationS: Double
    /// Whether the samples are exact integers, float, or decoded from a lossy encoding.
    public var sampleKind: SampleKind
    /// Bits per sample of integer PCM (8…32), 32 or 64 for float, `nil` for lossy encodings.
    public var bitsPerSample: Int?
    /// The role of each channel, in file order.
    public var channelLayout: [ChannelRole]
    /// `true` when ``channelLayout`` comes from the file (a WAVE_FORMAT_EXTENSIBLE mask, a CAF or
    /// AIFF layout); `false` when it is the default for the channel count.
    public var channelLayoutStated: Bool
    /// Size of the file in bytes.
    public var fileBytes: Int64
    /// Metadata worth keeping with the take.
    public var metadata: EmbeddedMetadata
    /// Oddities that do not stop the take (e.g. `riff_size_mismatch`), as reason codes.
    public var warnings: [String]

    /// Whether ``frames`` is a count the decoder must reach. MPEG streams carry no sample count;
    /// libsndfile estimates theirs, so only they are exempt from the truncation check.
    public var framesAreExact: Bool { format != "mpeg" }
}

/// The nature of an upload's samples: it decides how the lossless master is kept.
public enum SampleKind: String, Sendable, Codable {
    /// Integer PCM (or a lossless integer codec): the FLAC master holds it sample-exactly.
    case integer
    /// IEEE float: FLAC cannot hold it; the original file is the master.
    case float
    /// Decoded from a lossy encoding (Vorbis, Opus, MP3, ADPCM, μ-law …): the original is the master.
    case lossy
}

/// Metadata a DAW or recorder embeds that the archive keeps beside the take.
public struct EmbeddedMetadata: Sendable, Equatable, Codable {
    /// libsndfile's string fields that are present: `title`, `artist`, `comment`, `date`,
    /// `software`, `copyright`, `album`, `license`, `tracknumber`, `genre`.
    public var strings: [String: String] = [:]
    /// The Broadcast Wave `bext` chunk, when present.
    public var broadcast: BroadcastExtension?
    /// Cue markers, in file order.
    public var cueMarkers: [CueMarker] = []
    /// Sampler loop regions (`smpl` / AIFF `INST`).
    public var loops: [LoopRegion] = []

    public init() {}

    public var isEmpty: Bool { strings.isEmpty && broadcast == nil && cueMarkers.isEmpty && loops.isEmpty }
}

/// The fields of an EBU Tech 3285 `bext` chunk a collaborator needs.
public struct BroadcastExtension: Sendable, Equatable, Codable {
    public var description: String
    public var originator: String
    public var originatorReference: String
    /// `yyyy-mm-dd` as written by the recorder.
    public var originationDate: String
    /// `hh:mm:ss` as written by the recorder.
    public var originationTime: String
    /// Position of the first sample, in samples since midnight: where the take sits on the timeline.
    public var timeReference: UInt64
    public var version: Int
    public var codingHistory: String

    public init(
        description: String, originator: String, originatorReference: String, originationDate: String,
        originationTime: String, timeReference: UInt64, version: Int, codingHistory: String
    ) {
        self.description = description
        self.originator = originator
        self.originatorReference = originatorReference
        self.originationDate = originationDate
        self.originationTime = originationTime
        self.timeReference = timeReference
        self.version = version
        self.codingHistory = codingHistory
    }
}

/// A marker at a frame position.
public struct CueMarker: Sendable, Equatable, Codable {
    public var id: Int
    public var frame: Int64
    public var label: String

    public init(id: Int, frame: Int64, label: String) {
        self.id = id
        self.frame = frame
        self.label = label
    }
}

/// A loop between two frames.
public struct LoopRegion: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable { case none, forward, backward, alternating }
    public var mode: Mode
    public var startFrame: Int64
    public var endFrame: Int64
    /// How often it plays; 0 means forever.
    public var playCount: Int

    public init(mode: Mode, startFrame: Int64, endFrame: Int64, playCount: Int) {
        self.mode = mode
        self.startFrame = startFrame
        self.endFrame = endFrame
        self.playCount = playCount
    }
}
