import TakevaultCore
/// Unbuffered writes to stdout or stderr, so JSON on stdout and messages on stderr never
/// interleave or get lost when the process exits with a status.
struct FileDescriptorOutput {
    let descriptor: Int32

    static let standardOutput = FileDescriptorOutput(descriptor: 1)
    static let standardError = FileDescriptorOutput(descriptor: 2)

    /// Writes all of `text`; a closed stream is ignored (there is nowhere left to report it).
    func write(_ text: String) {
        try? SystemIO.writeAll(descriptor, Array(text.utf8))
    }
}
