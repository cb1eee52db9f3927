/// Turns the metadata probe keeps into Vorbis comment fields, for the FLAC master and the Opus
/// preview alike (both carry Vorbis comments).
///
/// Field names follow common practice where one exists (`TITLE`, `ARTIST`, `DATE`, …, and the
/// `BWF_*` names other tools use for Broadcast Wave fields). Cue markers become
/// `CUE_POINT=<frame> <label>` and loops `LOOP=<mode> <start> <end> <count>`, one field each, in
/// file order, frames counted from the take's first sample.
public enum VorbisCommentFields {
    /// The fields for `metadata`, in a stable order.
    public static func fields(for metadata: EmbeddedMetadata) -> [(name: String, value: String)] {
        var fields: [(String, String)] = []
        for key in metadata.strings.keys.sorted() {
            guard let value = metadata.strings[key], !value.isEmpty else { continue }
            fields.append((key.uppercased(), value))
        }
        if let bext = metadata.broadcast {
            let bextFields: [(String, String)] = [
                ("BWF_DESCRIPTION", bext.description),
                ("BWF_ORIGINATOR", bext.originator),
                ("BWF_ORIGINATOR_REFERENCE", bext.originatorReference),
                ("BWF_ORIGINATION_DATE", bext.originationDate),
                ("BWF_ORIGINATION_TIME", bext.originationTime),
                ("BWF_TIME_REFERENCE", String(bext.timeReference)),
                ("BWF_VERSION", String(bext.version)),
                ("BWF_CODING_HISTORY", bext.codingHistory),
            ]
            fields += bextFields.filter { !$0.1.isEmpty }
        }
        for cue in metadata.cueMarkers {
            fields.append(("CUE_POINT", cue.label.isEmpty ? "\(cue.frame)" : "\(cue.frame) \(cue.label)"))
        }
        for loop in metadata.loops {
            fields.append(("LOOP", "\(loop.mode.rawValue) \(loop.startFrame) \(loop.endFrame) \(loop.playCount)"))
        }
        return fields
    }
}
