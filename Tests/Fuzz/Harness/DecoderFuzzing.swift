@testable import AudioCodecs

#if canImport(Glibc)
import Glibc
#endif

/// Decoding whole files through libsndfile (WAV, RF64, AIFF, FLAC, Ogg Vorbis/Opus, MP3, …) and
/// the preview reader (libogg + libopus). Both read from a path, so each input is written to one
/// scratch file (in /dev/shm when there is one). libsndfile is C: the fuzz build runs it under
/// AddressSanitizer's interceptors.
enum DecoderFuzzing {
    /// At most this many blocks are decoded from one input: a tiny file may declare hours.
    static let maximumBlocks = 256

    static func decode(_ bytes: [UInt8]) {
        let path = ScratchFile.write(OggPages.withFixedChecksums(bytes))
        _ = try? AudioProbe.probe(path: path)
        guard let reader = try? AudioFileReader(path: path) else { return }
        let block = reader.makeBlock(capacity: 1_024)
        for _ in 0..<maximumBlocks {
            guard let got = try? reader.read(into: block), got > 0 else { break }
        }
    }

    static func oggOpus(_ bytes: [UInt8]) {
        let path = ScratchFile.write(OggPages.withFixedChecksums(bytes))
        guard let reader = try? OggOpusReader(path: path) else { return }
        for _ in 0..<maximumBlocks {
            guard let got = try? reader.read(), got > 0 else { break }
        }
    }
}

/// One scratch file per process, rewritten for every input.
enum ScratchFile {
    static let path: String = {
        var status = stat()
        let folder = stat("/dev/shm", &status) == 0 ? "/dev/shm" : "/tmp"
        return "\(folder)/takevault-fuzz-\(getpid())"
    }()

    static func write(_ bytes: [UInt8]) -> String {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot write the scratch file \(path)")
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            precondition(written > 0, "cannot write the scratch file \(path)")
            offset += written
        }
        close(descriptor)
        return path
    }
}

/// Mutations almost always break an Ogg page's CRC, and libogg then drops the page before any
/// parser behind it sees the bytes. Inputs whose length is odd get every page's CRC recomputed
/// (even lengths go in as they are, so damaged checksums are fuzzed too).
enum OggPages {
    static func withFixedChecksums(_ input: [UInt8]) -> [UInt8] {
        guard input.count % 2 == 1 else { return input }
        var bytes = input
        var page = 0
        while page + 27 <= bytes.count {
            guard bytes[page] == 0x4f, bytes[page + 1] == 0x67, bytes[page + 2] == 0x67, bytes[page + 3] == 0x53 else { page += 1; continue }
            let segments = Int(bytes[page + 26])
            guard page + 27 + segments <= bytes.count else { break }
            let bodyLength = bytes[(page + 27)..<(page + 27 + segments)].reduce(0) { $0 + Int($1) }
            let end = min(page + 27 + segments + bodyLength, bytes.count)
            for index in (page + 22)..<(page + 26) { bytes[index] = 0 }
            var crc: UInt32 = 0
            for byte in bytes[page..<end] {
                crc = (crc << 8) ^ table[Int(((crc >> 24) ^ UInt32(byte)) & 0xff)]
            }
            for shift in 0..<4 { bytes[page + 22 + shift] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(shift))) }
            page = end
        }
        return bytes
    }

    /// CRC-32 with Ogg's parameters: polynomial 0x04c11db7, not reflected, initial value 0.
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04c1_1db7 : value << 1 }
        return value
    }
}
