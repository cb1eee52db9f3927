import CFLAC
import COpus
import COpusEnc
import CSndFile

/// The versions of the codec libraries this process is linked against, as they report them.
/// Recorded beside every artefact so a later reprocess knows what produced it.
public enum CodecVersions {
    public static var libsndfile: String { String(cString: sf_version_string()) }
    public static var libFLAC: String { String(cString: takevault_flac_version()) }
    public static var libopus: String { String(cString: opus_get_version_string()) }
    public static var libopusenc: String { String(cString: ope_get_version_string()) }

    /// All of them, keyed by library name.
    public static var all: [String: String] {
        ["libsndfile": libsndfile, "libFLAC": libFLAC, "libopus": libopus, "libopusenc": libopusenc]
    }
}
