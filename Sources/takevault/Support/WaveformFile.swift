import AudioCodecs
import AudioDSP

/// Writes waveform data as `.dat` (binary) or `.json`, atomically.
enum WaveformFile {
    static func write(_ data: WaveformData, to path: String) throws {
        let bytes: [UInt8]
        if path.hasSuffix(".json") {
            bytes = Array(try JSONOutput.encoder().encode(data))
        } else {
            bytes = data.datBytes()
        }
        try AtomicOutput.write(bytes, to: path)
    }
}
