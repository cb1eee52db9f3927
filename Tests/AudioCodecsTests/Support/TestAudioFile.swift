import TestSupport
import CSndFile

/// Writes test audio with libsndfile (an independent writer: the code under test only reads).
enum TestAudioFile {
    /// A container/encoding pair as libsndfile names it, with the bit depth of its integer samples.
    struct Format: CustomStringConvertible, Sendable {
        var name: String
        var extensionName: String
        var sfFormat: Int32
        var bits: Int

        var description: String { name }

        static func make(_ name: String, _ ext: String, _ major: Int, _ minor: Int, bits: Int) -> Format {
            Format(name: name, extensionName: ext, sfFormat: Int32(major | minor), bits: bits)
        }

        static let wav8 = make("wav/pcm_u8", "wav", SF_FORMAT_WAV, SF_FORMAT_PCM_U8, bits: 8)
        static let wav16 = make("wav/pcm_16", "wav", SF_FORMAT_WAV, SF_FORMAT_PCM_16, bits: 16)
        static let wav24 = make("wav/pcm_24", "wav", SF_FORMAT_WAV, SF_FORMAT_PCM_24, bits: 24)
        static let wav32 = make("wav/pcm_32", "wav", SF_FORMAT_WAV, SF_FORMAT_PCM_32, bits: 32)
        static let wavex16 = make("wavex/pcm_16", "wav", SF_FORMAT_WAVEX, SF_FORMAT_PCM_16, bits: 16)
        static let wavex24 = make("wavex/pcm_24", "wav", SF_FORMAT_WAVEX, SF_FORMAT_PCM_24, bits: 24)
        static let rf64_24 = make("rf64/pcm_24", "wav", SF_FORMAT_RF64, SF_FORMAT_PCM_24, bits: 24)
        static let w64_24 = make("w64/pcm_24", "w64", SF_FORMAT_W64, SF_FORMAT_PCM_24, bits: 24)
        static let aiff8 = make("aiff/pcm_s8", "aiff", SF_FORMAT_AIFF, SF_FORMAT_PCM_S8, bits: 8)
        static let aiff16 = make("aiff/pcm_16", "aiff", SF_FORMAT_AIFF, SF_FORMAT_PCM_16, bits: 16)
        static let aiff24 = make("aiff/pcm_24", "aiff", SF_FORMAT_AIFF, SF_FORMAT_PCM_24, bits: 24)
        static let caf24 = make("caf/pcm_24", "caf", SF_FORMAT_CAF, SF_FORMAT_PCM_24, bits: 24)
        static let flac16 = make("flac/pcm_16", "flac", SF_FORMAT_FLAC, SF_FORMAT_PCM_16, bits: 16)
        static let flac24 = make("flac/pcm_24", "flac", SF_FORMAT_FLAC, SF_FORMAT_PCM_24, bits: 24)

        /// Every integer PCM container libsndfile writes that DAWs export.
        static let integerPCM: [Format] = [wav8, wav16, wav24, wav32, wavex16, wavex24, rf64_24, w64_24, aiff8, aiff16, aiff24, caf24, flac16, flac24]

        static let wavFloat = make("wav/float", "wav", SF_FORMAT_WAV, SF_FORMAT_FLOAT, bits: 32)
        static let wavDouble = make("wav/double", "wav", SF_FORMAT_WAV, SF_FORMAT_DOUBLE, bits: 64)
        static let aifcFloat = make("aifc/float", "aiff", SF_FORMAT_AIFF, SF_FORMAT_FLOAT, bits: 32)
        static let oggVorbis = make("ogg/vorbis", "ogg", SF_FORMAT_OGG, SF_FORMAT_VORBIS, bits: 0)
        static let oggOpus = make("ogg/opus", "opus", SF_FORMAT_OGG, SF_FORMAT_OPUS, bits: 0)
        static let mp3 = make("mpeg/mp3", "mp3", SF_FORMAT_MPEG, SF_FORMAT_MPEG_LAYER_III, bits: 0)
    }

    /// Writes planar integer channels (right-justified at `format.bits`) and returns the path.
    @discardableResult
    static func write(_ path: String, format: Format, sampleRate: Int, channels: [[Int32]]) -> String {
        let frames = channels[0].count
        let shift = Int32(32 - max(format.bits, 8))
        var interleaved = [Int32](repeating: 0, count: frames * channels.count)
        for (channel, samples) in channels.enumerated() {
            for frame in 0..<frames { interleaved[frame * channels.count + channel] = samples[frame] << shift }
        }
        withOpenFile(path, format: format, sampleRate: sampleRate, channels: channels.count) { handle in
            _ = sf_writef_int(handle, interleaved, sf_count_t(frames))
        }
        return path
    }

    /// Writes planar float channels and returns the path.
    @discardableResult
    static func write(_ path: String, format: Format, sampleRate: Int, floatChannels channels: [[Float]]) -> String {
        let frames = channels[0].count
        var interleaved = [Float](repeating: 0, count: frames * channels.count)
        for (channel, samples) in channels.enumerated() {
            for frame in 0..<frames { interleaved[frame * channels.count + channel] = samples[frame] }
        }
        withOpenFile(path, format: format, sampleRate: sampleRate, channels: channels.count) { handle in
            _ = sf_writef_float(handle, interleaved, sf_count_t(frames))
        }
        return path
    }

    /// Opens `path` for writing, lets `body` add data or metadata, and closes it.
    static func withOpenFile(_ path: String, format: Format, sampleRate: Int, channels: Int, _ body: (OpaquePointer) -> Void) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sfFormat
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            fatalError("libsndfile cannot write \(format) at \(sampleRate) Hz × \(channels): \(String(cString: sf_strerror(nil)))")
        }
        // Write float data without libsndfile normalising or clipping it.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, 0)
        body(handle)
        sf_close(handle)
    }

    /// Whether libsndfile can write `format` (MP3 needs LAME support compiled in).
    static func canWrite(_ format: Format, channels: Int = 2, sampleRate: Int = 48_000) -> Bool {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sfFormat
        return sf_format_check(&info) == SF_TRUE
    }
}
