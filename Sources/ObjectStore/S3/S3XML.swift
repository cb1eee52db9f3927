/// The XML S3 speaks, read into a small tree (``S3XMLReader``), and written by hand for the few
/// request bodies takevault sends.
enum S3XML {
    /// An element: its local name, its text, its child elements in order.
    final class Element {
        let name: String
        var text = ""
        var children: [Element] = []

        init(name: String) { self.name = name }

        /// The first child called `name`.
        func child(_ name: String) -> Element? { children.first { $0.name == name } }
        /// Every child called `name`.
        func all(_ name: String) -> [Element] { children.filter { $0.name == name } }
        /// The text of the first child called `name`.
        func value(_ name: String) -> String? { child(name)?.text }
    }

    /// The document's root element, or `nil` when `bytes` are not a well-formed document of the
    /// subset S3 uses (``S3XMLReader``).
    static func parse(_ bytes: [UInt8]) -> Element? {
        S3XMLReader.parse(bytes)
    }

    /// `text` with the five XML special characters escaped.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A `Tagging` document (PutObjectTagging).
    static func tagging(_ pairs: [(key: String, value: String)]) -> [UInt8] {
        let tags = pairs.map { "<Tag><Key>\(escape($0.key))</Key><Value>\(escape($0.value))</Value></Tag>" }.joined()
        return Array("<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>\(tags)</TagSet></Tagging>".utf8)
    }

    /// A `Delete` document (DeleteObjects), quiet: only failures are reported back.
    static func delete(keys: [String]) -> [UInt8] {
        let objects = keys.map { "<Object><Key>\(escape($0))</Key></Object>" }.joined()
        return Array("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\(objects)</Delete>".utf8)
    }

    /// A `CompleteMultipartUpload` document: part numbers and their ETags, in order.
    static func completeMultipart(parts: [(number: Int, etag: String)]) -> [UInt8] {
        let body = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(escape($0.etag))</ETag></Part>" }.joined()
        return Array("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(body)</CompleteMultipartUpload>".utf8)
    }
}
