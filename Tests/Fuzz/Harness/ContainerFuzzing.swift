@testable import AudioCodecs

/// The container header check (RIFF/RF64/AIFF chunk walking) and the relay's audio sniffer: the
/// first bytes of every upload go through both before anything else reads them.
enum ContainerFuzzing {
    static func headerCheck(_ bytes: [UInt8]) {
        _ = try? ContainerHeaderCheck.check(MemoryBytes(bytes: bytes))
    }

    static func sniffer(_ bytes: [UInt8]) {
        let head = Array(bytes.prefix(AudioSniffer.headerWindow))
        _ = AudioSniffer.format(of: head)
        // Every duration reader on every input, not only on the container the magic names.
        for format in [AudioSniffer.Format.wav, .aiff, .flac, .rf64, .ogg] {
            if let seconds = AudioSniffer.declaredDuration(of: head, format: format) {
                precondition(!seconds.isNaN, "a declared duration is NaN")
            }
        }
    }
}
