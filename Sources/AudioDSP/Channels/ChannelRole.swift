/// What a channel carries, in the speaker positions that WAVE_FORMAT_EXTENSIBLE, AIFF and libsndfile
/// name. Downmixing and (later) BS.1770 channel weighting decide by role, never by index.
public enum ChannelRole: String, Sendable, Codable, CaseIterable {
    case mono
    case left, right, center, lfe
    case backLeft = "back_left", backRight = "back_right", backCenter = "back_center"
    case sideLeft = "side_left", sideRight = "side_right"
    case frontLeftOfCenter = "front_left_of_center", frontRightOfCenter = "front_right_of_center"
    case topCenter = "top_center"
    case topFrontLeft = "top_front_left", topFrontCenter = "top_front_center", topFrontRight = "top_front_right"
    case topBackLeft = "top_back_left", topBackCenter = "top_back_center", topBackRight = "top_back_right"
    /// A channel whose position the file does not state (or states as "none"/ambisonic).
    case unknown

    /// The layout WAVE_FORMAT_EXTENSIBLE assumes for `channels` channels when a file gives no mask
    /// (Microsoft's default speaker assignment, also what most DAWs write): 1 mono, 2 L R, 3 L R C,
    /// 4 L R BL BR, 5 L R C BL BR, 6 L R C LFE BL BR (5.1), 7 L R C LFE BC SL SR (6.1),
    /// 8 L R C LFE BL BR SL SR (7.1).
    public static func defaultLayout(channels: Int) -> [ChannelRole] {
        switch channels {
        case 1: [.mono]
        case 2: [.left, .right]
        case 3: [.left, .right, .center]
        case 4: [.left, .right, .backLeft, .backRight]
        case 5: [.left, .right, .center, .backLeft, .backRight]
        case 6: [.left, .right, .center, .lfe, .backLeft, .backRight]
        case 7: [.left, .right, .center, .lfe, .backCenter, .sideLeft, .sideRight]
        case 8: [.left, .right, .center, .lfe, .backLeft, .backRight, .sideLeft, .sideRight]
        default: Array(repeating: .unknown, count: max(channels, 0))
        }
    }

    /// The Vorbis channel order, which Ogg Opus uses for mapping families 0 and 1 (RFC 7845
    /// §5.1.1.2): 1 mono, 2 L R, 3 L C R, 4 L R BL BR, 5 L C R BL BR, 6 L C R BL BR LFE (5.1),
    /// 7 L C R SL SR BC LFE (6.1), 8 L C R SL SR BL BR LFE (7.1).
    public static func vorbisLayout(channels: Int) -> [ChannelRole] {
        switch channels {
        case 1: [.mono]
        case 2: [.left, .right]
        case 3: [.left, .center, .right]
        case 4: [.left, .right, .backLeft, .backRight]
        case 5: [.left, .center, .right, .backLeft, .backRight]
        case 6: [.left, .center, .right, .backLeft, .backRight, .lfe]
        case 7: [.left, .center, .right, .sideLeft, .sideRight, .backCenter, .lfe]
        case 8: [.left, .center, .right, .sideLeft, .sideRight, .backLeft, .backRight, .lfe]
        default: Array(repeating: .unknown, count: max(channels, 0))
        }
    }
}
