import AudioDSP
import CSndFile

/// An open libsndfile handle for reading, with the file's header facts checked.
///
/// Opening runs ``ContainerHeaderCheck`` first (WAV/RF64/AIFF lengths), then libsndfile, then the
/// supported-range checks; any failure is a typed ``UploadRejected`` (or ``CodecFailure/io`` when
/// the file cannot be read at all). Not thread-safe; closed on deinit.
final class SoundFile {
    let handle: OpaquePointer
    let info: AudioFileInfo
    let rawFormat: Int32

    init(path: String) throws {
        let bytes = try FileBytes(path: path)
        guard bytes.size > 0 else { throw UploadRejected.emptyFile }
        let headerCheck = try ContainerHeaderCheck.check(bytes)

        var libraryInfo = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &libraryInfo) else {
            if let tag = headerCheck.waveFormatTag, !ContainerHeaderCheck.decodableWaveFormatTags.contains(tag) {
                throw UploadRejected.unsupportedEncoding(detail: "WAVE format tag 0x\(String(tag, radix: 16, uppercase: true))")
            }
            throw Self.openError(path: path, firstBytes: (try? bytes.read(at: 0, count: 16)) ?? [])
        }
        do {
            try ContainerHeaderCheck.checkRange(channels: Int(libraryInfo.channels), sampleRate: Int(libraryInfo.samplerate))
            guard libraryInfo.frames > 0 else { throw UploadRejected.noAudioFrames }
        } catch {
            sf_close(handle)
            throw error
        }
        self.handle = handle
        self.rawFormat = libraryInfo.format
        let encoding = FormatNames.encoding(libraryInfo.format)
        let layout = Self.channelLayout(handle, channels: Int(libraryInfo.channels))
        self.info = AudioFileInfo(
            format: FormatNames.container(libraryInfo.format),
            subtype: encoding.name,
            sampleRate: Int(libraryInfo.samplerate),
            channels: Int(libraryInfo.channels),
            frames: Int64(libraryInfo.frames),
            durationS: Double(libraryInfo.frames) / Double(libraryInfo.samplerate),
            sampleKind: encoding.kind,
            bitsPerSample: encoding.bits,
            channelLayout: layout ?? ChannelRole.defaultLayout(channels: Int(libraryInfo.channels)),
            channelLayoutStated: layout != nil,
            fileBytes: bytes.size,
            metadata: MetadataReader.read(handle),
            warnings: headerCheck.warnings
        )
    }

    deinit { sf_close(handle) }

    /// The error libsndfile gave for a file it would not open, as a reason a person can act on.
    private static func openError(path: String, firstBytes: [UInt8]) -> Error {
        let number = sf_error(nil)
        let detail = String(cString: sf_strerror(nil))
        switch Int(number) {
        case SF_ERR_UNRECOGNISED_FORMAT:
            return UploadRejected.unsupportedFormat(detail: describe(firstBytes))
        case SF_ERR_UNSUPPORTED_ENCODING:
            return UploadRejected.unsupportedEncoding(detail: detail)
        case SF_ERR_SYSTEM:
            return CodecFailure.io(operation: "open", path: path, errno: errno)
        default:
            return UploadRejected.malformedHeader(detail: detail)
        }
    }

    /// A short description of what a file starts with, for "not an audio file" messages.
    static func describe(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "no bytes" }
        let printable = bytes.prefix(8).allSatisfy { (0x20...0x7e).contains($0) || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        if printable {
            let text = String(decoding: bytes.prefix(8), as: UTF8.self).replacingControlCharacters()
            return "starts with the text \"\(text)\""
        }
        return "starts with bytes " + bytes.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
    }

    private static func channelLayout(_ handle: OpaquePointer, channels: Int) -> [ChannelRole]? {
        var map = [Int32](repeating: 0, count: channels)
        let ok = map.withUnsafeMutableBytes { buffer in
            sf_command(handle, Int32(SFC_GET_CHANNEL_MAP_INFO), buffer.baseAddress, Int32(buffer.count))
        }
        guard ok == SF_TRUE, map.contains(where: { $0 != 0 }) else { return nil }
        return map.map(Self.role)
    }

    private static func role(_ value: Int32) -> ChannelRole {
        switch Int(value) {
        case SF_CHANNEL_MAP_MONO: .mono
        case SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_FRONT_LEFT: .left
        case SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_FRONT_RIGHT: .right
        case SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_FRONT_CENTER: .center
        case SF_CHANNEL_MAP_REAR_CENTER: .backCenter
        case SF_CHANNEL_MAP_REAR_LEFT: .backLeft
        case SF_CHANNEL_MAP_REAR_RIGHT: .backRight
        case SF_CHANNEL_MAP_LFE: .lfe
        case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER: .frontLeftOfCenter
        case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER: .frontRightOfCenter
        case SF_CHANNEL_MAP_SIDE_LEFT: .sideLeft
        case SF_CHANNEL_MAP_SIDE_RIGHT: .sideRight
        case SF_CHANNEL_MAP_TOP_CENTER: .topCenter
        case SF_CHANNEL_MAP_TOP_FRONT_LEFT: .topFrontLeft
        case SF_CHANNEL_MAP_TOP_FRONT_RIGHT: .topFrontRight
        case SF_CHANNEL_MAP_TOP_FRONT_CENTER: .topFrontCenter
        case SF_CHANNEL_MAP_TOP_REAR_LEFT: .topBackLeft
        case SF_CHANNEL_MAP_TOP_REAR_RIGHT: .topBackRight
        case SF_CHANNEL_MAP_TOP_REAR_CENTER: .topBackCenter
        default: .unknown
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    fileprivate func replacingControlCharacters() -> String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
