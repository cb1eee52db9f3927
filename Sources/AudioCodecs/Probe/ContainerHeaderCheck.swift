/// Checks the lengths a WAV/RF64/AIFF header declares against the bytes the file holds.
///
/// libsndfile opens a file whose data chunk runs past the end, or whose header was never
/// finalised, and quietly decodes whatever is there. An archive must not: an upload cut short in
/// transit has to be told apart from a complete one, or the "lossless master" would be a fragment.
/// This walker reads only chunk headers (a few hundred bytes, whatever the file's size) and runs
/// before libsndfile, so it also gives precise reasons for impossible channel counts and rates.
///
/// Verdicts:
/// - data chunk declares more bytes than remain → ``UploadRejected/truncatedData(expectedFrames:presentFrames:)``;
/// - data size 0 or 0xFFFFFFFF in plain RIFF with audio after it (an unfinalised recording), any
///   other chunk that runs past the end, AIFF `COMM` frames that disagree with `SSND`
///   → ``UploadRejected/headerLengthMismatch(detail:)``;
/// - an outer RIFF/FORM size that disagrees with the file while every chunk fits → a warning
///   (`riff_size_mismatch`), since many writers get it wrong and no audio is affected.
enum ContainerHeaderCheck {
    /// What the check learned; `nil` fields where the container does not say.
    struct Result: Equatable {
        var warnings: [String] = []
        /// The WAVE `fmt ` format tag, when the file is RIFF/RF64.
        var waveFormatTag: UInt16?
    }

    /// WAVE format tags libsndfile decodes: PCM, MS ADPCM, IEEE float, A-law, μ-law, IMA ADPCM,
    /// GSM 6.10, G.721, MPEG layer 1/2 and 3, and WAVE_FORMAT_EXTENSIBLE (whose sub-format
    /// libsndfile checks itself).
    static let decodableWaveFormatTags: Set<UInt16> = [0x0001, 0x0002, 0x0003, 0x0006, 0x0007, 0x0011, 0x0031, 0x0040, 0x0050, 0x0055, 0xFFFE]

    /// At most this many chunks are walked before giving up on a file (a defence against crafted
    /// headers; real files have a dozen).
    static let maximumChunks = 4_096

    static func check(_ file: some HeaderBytes) throws -> Result {
        let head = try file.read(at: 0, count: 12)
        guard head.count == 12 else { return Result() }
        switch (head.fourCC(at: 0), head.fourCC(at: 8)) {
        case ("RIFF", "WAVE"): return try checkRIFF(file, outerSize: UInt64(head.littleEndianUInt32(at: 4)), isRF64: false)
        case ("RF64", "WAVE"), ("BW64", "WAVE"): return try checkRIFF(file, outerSize: nil, isRF64: true)
        case ("FORM", "AIFF"), ("FORM", "AIFC"):
            return try checkAIFF(file, outerSize: UInt64(head.bigEndianUInt32(at: 4)), compressed: head.fourCC(at: 8) == "AIFC")
        default: return Result()
        }
    }

    // Every size below comes from the file. The walkers keep one invariant that makes the
    // arithmetic safe: `offset + 8 <= fileSize` before a chunk header is read, and a chunk body is
    // skipped only once its size is known to be at most the bytes that remain. Sizes that cannot
    // fit (a ds64 length of 2⁶⁴−1, say) are compared, never added.

    // MARK: RIFF / RF64

    private static func checkRIFF(_ file: some HeaderBytes, outerSize declaredOuter: UInt64?, isRF64: Bool) throws -> Result {
        var result = Result()
        let fileSize = UInt64(file.size)
        var outerSize = declaredOuter
        var ds64DataSize: UInt64?
        var blockAlign: UInt64?
        var offset: UInt64 = 12
        for _ in 0..<maximumChunks {
            guard fileSize >= 8, offset <= fileSize - 8 else { break }
            let header = try file.read(at: Int64(offset), count: 8)
            guard header.count == 8 else { break }
            let id = header.fourCC(at: 0)
            var size = UInt64(header.littleEndianUInt32(at: 4))
            let bodyStart = offset + 8
            let remaining = fileSize - bodyStart
            if id != "data", size > remaining { throw chunkOverrun(id, size: size, remaining: remaining) }
            switch id {
            case "ds64":
                let body = try file.read(at: Int64(bodyStart), count: 24)
                guard body.count == 24, size >= 24 else { throw UploadRejected.malformedHeader(detail: "RF64 ds64 chunk is cut short") }
                outerSize = body.littleEndianUInt64(at: 0)
                ds64DataSize = body.littleEndianUInt64(at: 8)
            case "fmt ":
                let body = try file.read(at: Int64(bodyStart), count: 16)
                guard body.count == 16, size >= 16 else { throw UploadRejected.malformedHeader(detail: "fmt chunk is shorter than 16 bytes") }
                try checkRange(channels: Int(body.littleEndianUInt16(at: 2)), sampleRate: Int(body.littleEndianUInt32(at: 4)))
                result.waveFormatTag = body.littleEndianUInt16(at: 0)
                let align = UInt64(body.littleEndianUInt16(at: 12))
                guard align > 0 else { throw UploadRejected.malformedHeader(detail: "fmt chunk gives a block size of 0 bytes") }
                blockAlign = align
            case "data":
                guard let align = blockAlign else { throw UploadRejected.malformedHeader(detail: "data chunk before the fmt chunk") }
                if isRF64, size == 0xFFFF_FFFF {
                    guard let fromDS64 = ds64DataSize else {
                        throw UploadRejected.malformedHeader(detail: "RF64 data chunk defers its size to a ds64 chunk that is missing")
                    }
                    size = fromDS64
                }
                if !isRF64, size == 0 || size == 0xFFFF_FFFF, remaining > 0 {
                    throw UploadRejected.headerLengthMismatch(
                        detail: "data chunk declares \(size == 0 ? "0 bytes" : "an unknown length") but \(remaining) bytes follow")
                }
                if size > remaining {
                    throw UploadRejected.truncatedData(expectedFrames: Int64(clamping: size / align), presentFrames: Int64(clamping: remaining / align))
                }
            default:
                break
            }
            // size <= remaining here, so neither sum can overflow: the next offset is at most fileSize + 1.
            offset = bodyStart + size + (size & 1)
        }
        if let outer = outerSize, !matchesFileSize(outer, fileSize) {
            result.warnings.append("riff_size_mismatch")
        }
        return result
    }

    // MARK: AIFF / AIFC

    private static func checkAIFF(_ file: some HeaderBytes, outerSize: UInt64, compressed: Bool) throws -> Result {
        var result = Result()
        let fileSize = UInt64(file.size)
        var declaredFrames: UInt64?
        var bytesPerFrame: UInt64?
        var offset: UInt64 = 12
        for _ in 0..<maximumChunks {
            guard fileSize >= 8, offset <= fileSize - 8 else { break }
            let header = try file.read(at: Int64(offset), count: 8)
            guard header.count == 8 else { break }
            let id = header.fourCC(at: 0)
            let size = UInt64(header.bigEndianUInt32(at: 4))
            let bodyStart = offset + 8
            let remaining = fileSize - bodyStart
            if id != "SSND", size > remaining { throw chunkOverrun(id, size: size, remaining: remaining) }
            switch id {
            case "COMM":
                let body = try file.read(at: Int64(bodyStart), count: compressed ? 22 : 18)
                guard body.count >= 18, size >= 18 else { throw UploadRejected.malformedHeader(detail: "COMM chunk is cut short") }
                let channels = Int(Int16(bitPattern: body.bigEndianUInt16(at: 0)))
                let rate = extendedToInt(Array(body[8..<18]))
                try checkRange(channels: channels, sampleRate: rate)
                declaredFrames = UInt64(body.bigEndianUInt32(at: 2))
                let bits = UInt64(body.bigEndianUInt16(at: 6))
                let compression = body.count >= 22 && size >= 22 ? body.fourCC(at: 18) : "NONE"
                switch compression {
                case "NONE", "sowt", "twos", "raw ", "in24", "in32":
                    bytesPerFrame = UInt64(channels) * ((bits + 7) / 8)
                case "fl32", "FL32": bytesPerFrame = UInt64(channels) * 4
                case "fl64", "FL64": bytesPerFrame = UInt64(channels) * 8
                default: bytesPerFrame = nil  // compressed: SSND size says nothing about frames
                }
            case "SSND":
                let audioBytes = size.subtractingClamped(8)
                let perFrame = max(bytesPerFrame ?? 1, 1)
                if size > remaining {
                    throw UploadRejected.truncatedData(
                        expectedFrames: Int64(clamping: audioBytes / perFrame), presentFrames: Int64(clamping: remaining.subtractingClamped(8) / perFrame))
                }
                if let frames = declaredFrames, bytesPerFrame != nil {
                    let (needed, overflow) = frames.multipliedReportingOverflow(by: perFrame)
                    if overflow || needed > audioBytes {
                        throw UploadRejected.headerLengthMismatch(detail: "COMM declares \(frames) frames but SSND holds \(audioBytes / perFrame)")
                    }
                }
            default:
                break
            }
            offset = bodyStart + size + (size & 1)
        }
        if !matchesFileSize(outerSize, fileSize) {
            result.warnings.append("form_size_mismatch")
        }
        return result
    }

    /// Whether an outer RIFF/FORM size (which excludes the 8-byte outer header; a file may carry a
    /// pad byte it does not count) describes a file of `fileSize` bytes.
    private static func matchesFileSize(_ outer: UInt64, _ fileSize: UInt64) -> Bool {
        let (total, overflow) = outer.addingReportingOverflow(8)
        return !overflow && (total == fileSize || (fileSize > 0 && total == fileSize - 1))
    }

    // MARK: Helpers

    /// A chunk that claims more bytes than the file has left. A format chunk cut short means the
    /// header itself is damaged; any other chunk means the sizes lie.
    private static func chunkOverrun(_ id: String, size: UInt64, remaining: UInt64) -> UploadRejected {
        if ["fmt ", "ds64", "COMM"].contains(id) {
            return .malformedHeader(detail: "the '\(id)' chunk is cut short: \(remaining) of its \(size) bytes are present")
        }
        return .headerLengthMismatch(detail: "chunk '\(id)' declares \(size) bytes but only \(remaining) remain")
    }

    static func checkRange(channels: Int, sampleRate: Int) throws {
        guard SupportedRange.channels.contains(channels) else { throw UploadRejected.channelCountOutOfRange(channels) }
        guard SupportedRange.sampleRates.contains(sampleRate) else { throw UploadRejected.sampleRateOutOfRange(sampleRate) }
    }

    /// An 80-bit IEEE 754 extended value (AIFF's sample rate) rounded to an integer; 0 when it is
    /// not a positive number in `Int` range.
    static func extendedToInt(_ bytes: [UInt8]) -> Int {
        let exponent = Int(bytes.bigEndianUInt16(at: 0) & 0x7fff) - 16383
        let negative = bytes[0] & 0x80 != 0
        let mantissa = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[2 + $1]) }
        guard !negative, mantissa != 0, (0...62).contains(exponent) else { return 0 }
        return Int(mantissa >> UInt64(63 - exponent))
    }
}

extension UInt64 {
    fileprivate func subtractingClamped(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
