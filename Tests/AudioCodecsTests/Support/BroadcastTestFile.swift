import TestSupport
import CSndFile

/// A 24-bit stereo Broadcast Wave take with the metadata a DAW writes: a `bext` chunk, two cue
/// markers, a loop and a title. Written by libsndfile, read back by the code under test.
enum BroadcastTestFile {
    static let frames = 48_000
    static let description = "Lead vocal, take 3"
    static let originator = "StudioDAW"
    static let timeReference: UInt64 = 172_800_000  // 01:00:00:00 at 48 kHz
    static let cues: [(frame: UInt32, label: String)] = [(24_000, "chorus"), (36_000, "bridge")]
    static let loop = (start: UInt32(12_000), end: UInt32(24_000), count: UInt32(0))

    static func write(_ path: String) {
        let channels = testChannels(2, frames: frames, bits: 24, signals: [.sine, .noise])
        TestAudioFile.withOpenFile(path, format: .wav24, sampleRate: 48_000, channels: 2) { handle in
            var bext = SF_BROADCAST_INFO()
            set(&bext.description, description)
            set(&bext.originator, originator)
            set(&bext.originator_reference, "TV-0042")
            set(&bext.origination_date, "2026-11-29")
            set(&bext.origination_time, "10:15:00")
            bext.time_reference_low = UInt32(timeReference & 0xFFFF_FFFF)
            bext.time_reference_high = UInt32(timeReference >> 32)
            bext.version = 1
            _ = sf_command(handle, Int32(SFC_SET_BROADCAST_INFO), &bext, Int32(MemoryLayout<SF_BROADCAST_INFO>.size))

            var cueList = SF_CUES()
            cueList.cue_count = UInt32(cues.count)
            withUnsafeMutableBytes(of: &cueList.cue_points) { raw in
                let points = raw.bindMemory(to: SF_CUE_POINT.self)
                for (index, cue) in cues.enumerated() {
                    var point = SF_CUE_POINT()
                    point.indx = Int32(index + 1)
                    point.position = cue.frame
                    point.fcc_chunk = 0x6174_6164  // 'data'
                    point.sample_offset = cue.frame
                    set(&point.name, cue.label)
                    points[index] = point
                }
            }
            _ = sf_command(handle, Int32(SFC_SET_CUE), &cueList, Int32(MemoryLayout<SF_CUES>.size))

            var instrument = SF_INSTRUMENT()
            instrument.basenote = 60
            instrument.velocity_hi = 127
            instrument.key_hi = 127
            instrument.loop_count = 1
            let loopsOffset = MemoryLayout<SF_INSTRUMENT>.offset(of: \.loop_count)! + 4
            withUnsafeMutableBytes(of: &instrument) { raw in
                raw.storeBytes(of: Int32(SF_LOOP_FORWARD), toByteOffset: loopsOffset, as: Int32.self)
                raw.storeBytes(of: loop.start, toByteOffset: loopsOffset + 4, as: UInt32.self)
                raw.storeBytes(of: loop.end, toByteOffset: loopsOffset + 8, as: UInt32.self)
                raw.storeBytes(of: loop.count, toByteOffset: loopsOffset + 12, as: UInt32.self)
            }
            _ = sf_command(handle, Int32(SFC_SET_INSTRUMENT), &instrument, Int32(MemoryLayout<SF_INSTRUMENT>.size))
            _ = sf_set_string(handle, Int32(SF_STR_TITLE), "Night Drive")

            var interleaved = [Int32](repeating: 0, count: frames * 2)
            for frame in 0..<frames {
                interleaved[2 * frame] = channels[0][frame] << 8
                interleaved[2 * frame + 1] = channels[1][frame] << 8
            }
            _ = sf_writef_int(handle, interleaved, sf_count_t(frames))
        }
        appendCueLabels(path)
    }

    /// libsndfile writes the `cue ` chunk but not the names (DAWs put them in a `LIST`/`adtl`
    /// chunk of `labl` entries, which libsndfile does read): append one as a DAW would.
    static func appendCueLabels(_ path: String) {
        var list: [UInt8] = Array("adtl".utf8)
        for (index, cue) in cues.enumerated() {
            var text = Array(cue.label.utf8) + [0]
            let size = UInt32(4 + text.count)
            if text.count % 2 == 1 { text.append(0) }
            list += Array("labl".utf8) + littleEndian(size) + littleEndian(UInt32(index + 1)) + text
        }
        var bytes = readBytes(path)
        bytes += Array("LIST".utf8) + littleEndian(UInt32(list.count)) + list
        let riffSize = littleEndian(UInt32(bytes.count - 8))
        bytes.replaceSubrange(4..<8, with: riffSize)
        writeBytes(path, bytes)
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// Copies `text` into a C `char[N]` field (imported as a tuple), NUL-padded; a text of exactly
    /// N bytes fills the field without a NUL, as bext's date and time fields require.
    static func set<T>(_ field: inout T, _ text: String) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (index, byte) in text.utf8.prefix(raw.count).enumerated() { raw[index] = byte }
        }
    }
}
