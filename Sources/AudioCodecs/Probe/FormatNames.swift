import CSndFile

/// Stable lower-case names for libsndfile's major formats and encodings, as `probe` reports them.
enum FormatNames {
    static func container(_ format: Int32) -> String {
        switch Int(format & Int32(SF_FORMAT_TYPEMASK)) {
        case Int(SF_FORMAT_WAV): "wav"
        case Int(SF_FORMAT_WAVEX): "wavex"
        case Int(SF_FORMAT_RF64): "rf64"
        case Int(SF_FORMAT_W64): "w64"
        case Int(SF_FORMAT_AIFF): "aiff"
        case Int(SF_FORMAT_CAF): "caf"
        case Int(SF_FORMAT_FLAC): "flac"
        case Int(SF_FORMAT_OGG): "ogg"
        case Int(SF_FORMAT_MPEG): "mpeg"
        case Int(SF_FORMAT_AU): "au"
        case Int(SF_FORMAT_RAW): "raw"
        case Int(SF_FORMAT_SD2): "sd2"
        case Int(SF_FORMAT_NIST): "nist"
        case Int(SF_FORMAT_VOC): "voc"
        case Int(SF_FORMAT_IRCAM): "ircam"
        case Int(SF_FORMAT_PAF): "paf"
        case Int(SF_FORMAT_SVX): "svx"
        case Int(SF_FORMAT_W64): "w64"
        default: "other_\(String(format & Int32(SF_FORMAT_TYPEMASK), radix: 16))"
        }
    }

    /// The encoding's name, its kind, and (integer PCM) its bits per sample.
    static func encoding(_ format: Int32) -> (name: String, kind: SampleKind, bits: Int?) {
        switch Int(format & Int32(SF_FORMAT_SUBMASK)) {
        case Int(SF_FORMAT_PCM_S8): ("pcm_s8", .integer, 8)
        case Int(SF_FORMAT_PCM_U8): ("pcm_u8", .integer, 8)
        case Int(SF_FORMAT_PCM_16): ("pcm_16", .integer, 16)
        case Int(SF_FORMAT_PCM_24): ("pcm_24", .integer, 24)
        case Int(SF_FORMAT_PCM_32): ("pcm_32", .integer, 32)
        case Int(SF_FORMAT_ALAC_16): ("alac_16", .integer, 16)
        case Int(SF_FORMAT_ALAC_20): ("alac_20", .integer, 20)
        case Int(SF_FORMAT_ALAC_24): ("alac_24", .integer, 24)
        case Int(SF_FORMAT_ALAC_32): ("alac_32", .integer, 32)
        case Int(SF_FORMAT_DWVW_12): ("dwvw_12", .integer, 12)
        case Int(SF_FORMAT_DWVW_16): ("dwvw_16", .integer, 16)
        case Int(SF_FORMAT_DWVW_24): ("dwvw_24", .integer, 24)
        case Int(SF_FORMAT_DPCM_8): ("dpcm_8", .integer, 8)
        case Int(SF_FORMAT_DPCM_16): ("dpcm_16", .integer, 16)
        case Int(SF_FORMAT_FLOAT): ("float", .float, 32)
        case Int(SF_FORMAT_DOUBLE): ("double", .float, 64)
        case Int(SF_FORMAT_VORBIS): ("vorbis", .lossy, nil)
        case Int(SF_FORMAT_OPUS): ("opus", .lossy, nil)
        case Int(SF_FORMAT_MPEG_LAYER_I): ("mp1", .lossy, nil)
        case Int(SF_FORMAT_MPEG_LAYER_II): ("mp2", .lossy, nil)
        case Int(SF_FORMAT_MPEG_LAYER_III): ("mp3", .lossy, nil)
        case Int(SF_FORMAT_ULAW): ("ulaw", .lossy, nil)
        case Int(SF_FORMAT_ALAW): ("alaw", .lossy, nil)
        case Int(SF_FORMAT_IMA_ADPCM): ("ima_adpcm", .lossy, nil)
        case Int(SF_FORMAT_MS_ADPCM): ("ms_adpcm", .lossy, nil)
        case Int(SF_FORMAT_GSM610): ("gsm610", .lossy, nil)
        case Int(SF_FORMAT_G721_32): ("g721_32", .lossy, nil)
        case Int(SF_FORMAT_G723_24): ("g723_24", .lossy, nil)
        case Int(SF_FORMAT_G723_40): ("g723_40", .lossy, nil)
        default: ("other_\(String(format & Int32(SF_FORMAT_SUBMASK), radix: 16))", .lossy, nil)
        }
    }
}
