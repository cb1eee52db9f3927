#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an audiowaveform version-2 `.dat` file as its values arrive: a header with a placeholder
/// length, the values appended in batches, the length filled in at the end (the layout is
/// `WaveformData.datBytes()`'s). Memory is one batch, whatever the take's length.
final class WaveformFileWriter {
    private let path: String
    private let descriptor: Int32
    private let bits: Int
    private let channels: Int
    private var values = 0

    init(path: String, sampleRate: Int, samplesPerPixel: Int, bits: Int, channels: Int) throws {
        self.path = path
        self.bits = bits
        self.channels = channels
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw FileIO.error("create", path) }
        try FileIO.writeAll(descriptor, Self.header(sampleRate: sampleRate, samplesPerPixel: samplesPerPixel, bits: bits, length: 0, channels: channels), path: path)
    }

    deinit { close(descriptor) }

    func append(_ batch: [Int16]) throws {
        guard !batch.isEmpty else { return }
        var bytes = [UInt8]()
        bytes.reserveCapacity(batch.count * (bits == 8 ? 1 : 2))
        for value in batch {
            if bits == 8 {
                bytes.append(UInt8(bitPattern: Int8(truncatingIfNeeded: value)))
            } else {
                bytes.append(UInt8(truncatingIfNeeded: value))
                bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            }
        }
        try FileIO.writeAll(descriptor, bytes, path: path)
        values += batch.count
    }

    /// Appends the last values and writes the final length into the header.
    func finish(tail: [Int16]) throws {
        try append(tail)
        let length = values / (2 * channels)
        let field = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        guard pwrite(descriptor, field, 4, 16) == 4, fsync(descriptor) == 0 else { throw FileIO.error("finish", path) }
    }

    static func header(sampleRate: Int, samplesPerPixel: Int, bits: Int, length: Int, channels: Int) -> [UInt8] {
        func int32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        return int32(2) + int32(bits == 8 ? 1 : 0) + int32(sampleRate) + int32(samplesPerPixel) + int32(length) + int32(channels)
    }
}
