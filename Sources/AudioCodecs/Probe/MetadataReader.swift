import CSndFile

/// Reads the metadata libsndfile exposes — string fields, BWF `bext`, cue markers, sampler loops —
/// from an open handle. Missing pieces are simply absent; nothing here can fail a take.
enum MetadataReader {
    static func read(_ handle: OpaquePointer) -> EmbeddedMetadata {
        var metadata = EmbeddedMetadata()
        metadata.strings = strings(handle)
        metadata.broadcast = broadcast(handle)
        metadata.cueMarkers = cues(handle)
        metadata.loops = loops(handle)
        return metadata
    }

    private static let stringFields: [(name: String, id: Int32)] = [
        ("title", Int32(SF_STR_TITLE)), ("copyright", Int32(SF_STR_COPYRIGHT)), ("software", Int32(SF_STR_SOFTWARE)),
        ("artist", Int32(SF_STR_ARTIST)), ("comment", Int32(SF_STR_COMMENT)), ("date", Int32(SF_STR_DATE)),
        ("album", Int32(SF_STR_ALBUM)), ("license", Int32(SF_STR_LICENSE)), ("tracknumber", Int32(SF_STR_TRACKNUMBER)),
        ("genre", Int32(SF_STR_GENRE)),
    ]

    private static func strings(_ handle: OpaquePointer) -> [String: String] {
        var result: [String: String] = [:]
        for field in stringFields {
            guard let value = sf_get_string(handle, field.id) else { continue }
            let text = String(cString: value).trimmingTrailingNulsAndSpaces()
            if !text.isEmpty { result[field.name] = text }
        }
        return result
    }

    private static func broadcast(_ handle: OpaquePointer) -> BroadcastExtension? {
        var bext = SF_BROADCAST_INFO()
        let size = Int32(MemoryLayout<SF_BROADCAST_INFO>.size)
        guard sf_command(handle, Int32(SFC_GET_BROADCAST_INFO), &bext, size) == SF_TRUE else { return nil }
        let historyLength = min(Int(bext.coding_history_size), 256)
        return BroadcastExtension(
            description: fixedString(&bext.description),
            originator: fixedString(&bext.originator),
            originatorReference: fixedString(&bext.originator_reference),
            originationDate: fixedString(&bext.origination_date),
            originationTime: fixedString(&bext.origination_time),
            timeReference: UInt64(bext.time_reference_high) << 32 | UInt64(bext.time_reference_low),
            version: Int(bext.version),
            codingHistory: fixedString(&bext.coding_history, limit: historyLength)
        )
    }

    private static func cues(_ handle: OpaquePointer) -> [CueMarker] {
        var count: UInt32 = 0
        guard sf_command(handle, Int32(SFC_GET_CUE_COUNT), &count, Int32(MemoryLayout<UInt32>.size)) == SF_TRUE,
              count > 0
        else { return [] }
        var cues = SF_CUES()
        guard sf_command(handle, Int32(SFC_GET_CUE), &cues, Int32(MemoryLayout<SF_CUES>.size)) == SF_TRUE else { return [] }
        let available = min(Int(cues.cue_count), 100)
        return withUnsafeMutableBytes(of: &cues.cue_points) { raw in
            let points = raw.bindMemory(to: SF_CUE_POINT.self)
            return (0..<available).map { index in
                var point = points[index]
                return CueMarker(id: Int(point.indx), frame: Int64(point.sample_offset), label: fixedString(&point.name))
            }
        }
    }

    private static func loops(_ handle: OpaquePointer) -> [LoopRegion] {
        var instrument = SF_INSTRUMENT()
        guard sf_command(handle, Int32(SFC_GET_INSTRUMENT), &instrument, Int32(MemoryLayout<SF_INSTRUMENT>.size)) == SF_TRUE
        else { return [] }
        let count = max(0, min(Int(instrument.loop_count), 16))
        // `loops` is an array of an anonymous struct, which Swift does not import: read its
        // {int mode; unsigned start, end, count} entries from the bytes after `loop_count`.
        let loopsOffset = MemoryLayout<SF_INSTRUMENT>.offset(of: \.loop_count)! + 4
        let stride = 16
        precondition(MemoryLayout<SF_INSTRUMENT>.size >= loopsOffset + 16 * stride, "unexpected SF_INSTRUMENT layout")
        return withUnsafeBytes(of: &instrument) { raw in
            (0..<count).map { index in
                let base = loopsOffset + index * stride
                let mode = raw.loadUnaligned(fromByteOffset: base, as: Int32.self)
                return LoopRegion(
                    mode: loopMode(mode),
                    startFrame: Int64(raw.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self)),
                    endFrame: Int64(raw.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self)),
                    playCount: Int(raw.loadUnaligned(fromByteOffset: base + 12, as: UInt32.self))
                )
            }
        }
    }

    private static func loopMode(_ value: Int32) -> LoopRegion.Mode {
        switch Int(value) {
        case Int(SF_LOOP_FORWARD): .forward
        case Int(SF_LOOP_BACKWARD): .backward
        case Int(SF_LOOP_ALTERNATING): .alternating
        default: .none
        }
    }

    /// A C `char[N]` field (imported as a tuple) as a string: up to the first NUL or `limit` bytes,
    /// decoded as UTF-8 with invalid bytes repaired, trailing spaces dropped.
    static func fixedString<T>(_ field: inout T, limit: Int? = nil) -> String {
        withUnsafeBytes(of: &field) { raw in
            let bytes = raw.prefix(limit ?? raw.count)
            let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
            return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self).trimmingTrailingNulsAndSpaces()
        }
    }
}

extension String {
    func trimmingTrailingNulsAndSpaces() -> String {
        var text = Substring(self)
        while let last = text.last, last == " " || last == "\0" || last == "\n" || last == "\r" { text.removeLast() }
        return String(text)
    }
}
