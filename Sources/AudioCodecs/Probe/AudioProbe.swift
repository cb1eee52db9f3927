/// Reads what an upload is from its headers, without decoding its audio.
public enum AudioProbe {
    /// Probes the file at `path`.
    ///
    /// - Throws: ``UploadRejected`` when the file is not a take takevault can accept (with a reason
    ///   code), ``CodecFailure/io(operation:path:errno:)`` when it cannot be read.
    public static func probe(path: String) throws -> AudioFileInfo {
        try SoundFile(path: path).info
    }
}
