import TakevaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes waveform data as its values arrive, in either layout audiowaveform reads, so memory is
/// one batch whatever the audio's length:
///
/// - `.dat` (``Layout/binary``): the version-2 header with a placeholder length, the values
///   appended in batches, the length filled in at the end (`WaveformData.datBytes()`'s layout);
/// - `.json` (``Layout/json``): `{"bits":…,"channels":…,"data":[…],"length":…,"sample_rate":…,
///   "samples_per_pixel":…,"version":2}` — keys sorted, as `takevault`'s JSON always is, which puts
///   `length` after the data, where it is known.
///
/// The `.dat` length field is 32 bits: more pixels than that is ``CodecFailure/invalidSetting(name:value:allowed:)``
/// (a larger zoom), found as the values arrive, never after gigabytes are written. Not thread-safe.
public final class WaveformFileWriter {
    public enum Layout: Sendable { case binary, json }

    private let path: String
    private let descriptor: Int32
    private let layout: Layout
    private let bits: Int
    private let channels: Int
    private let sampleRate: Int
    private let samplesPerPixel: Int
    private var values = 0

    /// The most pixels a file may hold (the `.dat` length field's range).
    public static let maximumPixels = Int(UInt32.max)

    /// Creates `path` (which must not exist) with `mode`.
    public init(path: String, layout: Layout, sampleRate: Int, samplesPerPixel: Int, bits: Int, channels: Int, mode: mode_t = 0o600) throws {
        self.path = path
        self.layout = layout
        self.bits = bits
        self.channels = channels
        self.sampleRate = sampleRate
        self.samplesPerPixel = samplesPerPixel
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CodecFailure.io(operation: "create", path: path, errno: errno) }
        switch layout {
        case .binary: try write(Self.header(sampleRate: sampleRate, samplesPerPixel: samplesPerPixel, bits: bits, length: 0, channels: channels))
        case .json: try write(Array(#"{"bits":\#(bits),"channels":\#(channels),"data":["#.utf8))
        }
    }

    deinit { close(descriptor) }

    /// Appends complete pixels' values (min, max per channel).
    public func append(_ batch: [Int16]) throws {
        guard !batch.isEmpty else { return }
        guard (values + batch.count) / (2 * channels) <= Self.maximumPixels else {
            throw CodecFailure.invalidSetting(name: "waveform zoom", value: String(samplesPerPixel),
                                              allowed: "at most \(Self.maximumPixels) pixels a file: use more samples per pixel")
        }
        var bytes = [UInt8]()
        switch layout {
        case .binary:
            bytes.reserveCapacity(batch.count * (bits == 8 ? 1 : 2))
            for value in batch {
                if bits == 8 {
                    bytes.append(UInt8(bitPattern: Int8(truncatingIfNeeded: value)))
                } else {
                    bytes.append(UInt8(truncatingIfNeeded: value))
                    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
                }
            }
        case .json:
            bytes.reserveCapacity(batch.count * 7)
            for (index, value) in batch.enumerated() {
                if values + index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes += Array(String(value).utf8)
            }
        }
        try write(bytes)
        values += batch.count
    }

    /// Appends the last values, completes the file (the `.dat` length, the JSON's closing keys) and syncs it.
    public func finish(tail: [Int16]) throws {
        try append(tail)
        let length = values / (2 * channels)
        switch layout {
        case .binary:
            let field = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
            guard pwrite(descriptor, field, 4, 16) == 4 else { throw CodecFailure.io(operation: "finish", path: path, errno: errno) }
        case .json:
            try write(Array(#"],"length":\#(length),"sample_rate":\#(sampleRate),"samples_per_pixel":\#(samplesPerPixel),"version":2}"#.utf8) + [0x0a])
        }
        do { try SystemIO.sync(descriptor) } catch { throw SystemError.about(path, error) }
    }

    static func header(sampleRate: Int, samplesPerPixel: Int, bits: Int, length: Int, channels: Int) -> [UInt8] {
        func int32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        return int32(2) + int32(bits == 8 ? 1 : 0) + int32(sampleRate) + int32(samplesPerPixel) + int32(length) + int32(channels)
    }

    private func write(_ bytes: [UInt8]) throws {
        do { try SystemIO.writeAll(descriptor, bytes) } catch { throw SystemError.about(path, error) }
    }
}
