/// The per-file loop of the batch commands (probe, analyze, ingest, push): every file gets a
/// document — its result, or its error — and a failed file does not stop the others. Text goes
/// out as each file finishes; under `--json` one document (an array for several files) is printed
/// at the end; the exit status is the worst file's.
struct FileBatch<Document: FileDocument> {
    let json: Bool
    private(set) var documents: [Document] = []
    private(set) var worst = ExitStatus.success

    init(json: Bool) { self.json = json }

    /// A file done: its document, its text, and its status when done is not success (a relay job
    /// that ended rejected, say).
    mutating func succeeded(_ document: Document, text: String, status: ExitStatus = .success) {
        documents.append(document)
        worst = max(worst, status)
        if !json { FileDescriptorOutput.standardOutput.write(text) }
    }

    /// A file that failed: its document gets the error; the error goes to stderr in text mode.
    mutating func failed(_ document: Document, error: Error) {
        var document = document
        document.error = ErrorDocument(error).error
        documents.append(document)
        worst = max(worst, ExitStatus(for: error))
        if !json { _ = report(error, json: false) }
    }

    /// Prints the JSON and throws the worst status unless every file succeeded.
    func finish() throws {
        if json {
            if documents.count == 1 { try JSONOutput.print(documents[0]) } else { try JSONOutput.print(documents) }
        }
        if worst != .success { throw worst.exitCode }
    }
}

/// One file's outcome as a batch command prints it under `--json`: the result's keys and `file`,
/// or `file` and `error`.
protocol FileDocument: Encodable {
    var error: ErrorDocument.Detail? { get set }
}
