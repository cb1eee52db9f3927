/// Reads the XML documents S3 answers with into ``S3XML/Element`` trees.
///
/// Written here rather than taken from Foundation's `XMLParser`: fuzzing (target `s3-xml`) found
/// that Foundation's libxml2 bridge traps on element names that are not valid UTF-8, so one bad
/// answer from an endpoint — or anyone between takevault and a plain-http one — could stop the
/// process. S3 documents use a small subset of XML, and this reader accepts exactly that: an
/// optional declaration, processing instructions and comments, elements with attributes (ignored),
/// character data with the five predefined entities and character references, CDATA sections.
/// Anything else — a DTD, an unknown entity, invalid UTF-8, mismatched tags, more than
/// ``maximumDepth`` levels or ``maximumElements`` elements — makes the document unreadable (`nil`),
/// never a crash. Names are local names (a namespace prefix is dropped).
struct S3XMLReader {
    static let maximumDepth = 64
    static let maximumElements = 1_000_000

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) -> S3XML.Element? {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        var reader = S3XMLReader(bytes)
        return reader.document()
    }

    private mutating func document() -> S3XML.Element? {
        if bytes.starts(with: [0xef, 0xbb, 0xbf]) { index = 3 }
        var root: S3XML.Element?
        var stack: [(element: S3XML.Element, text: [UInt8])] = []
        var elements = 0
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                // Character data: only inside the root element (whitespace may surround it).
                guard let text = characterData() else { return nil }
                if stack.isEmpty {
                    guard text.allSatisfy(Self.isWhitespace) else { return nil }
                } else {
                    stack[stack.count - 1].text += text
                }
                continue
            }
            if skip("<?") {
                guard skip(until: Array("?>".utf8)) else { return nil }
            } else if skip("<!--") {
                guard skip(until: Array("-->".utf8)) else { return nil }
            } else if skip("<![CDATA[") {
                guard !stack.isEmpty, let end = find(Array("]]>".utf8)) else { return nil }
                stack[stack.count - 1].text += bytes[index..<end]
                index = end + 3
            } else if skip("</") {
                guard let name = name(), let open = stack.popLast(), open.element.name == name else { return nil }
                skipWhitespace()
                guard skip(">") else { return nil }
                open.element.text = String(decoding: open.text, as: UTF8.self)
                if stack.isEmpty { root = open.element }
            } else if skip("<!") {
                return nil  // a DTD or a declaration: never in S3's answers
            } else {
                index += 1
                guard root == nil, let name = name(), stack.count < Self.maximumDepth, elements < Self.maximumElements,
                      let selfClosing = skipAttributes()
                else { return nil }
                elements += 1
                let element = S3XML.Element(name: name)
                stack.last?.element.children.append(element)
                if selfClosing {
                    if stack.isEmpty { root = element }
                } else {
                    stack.append((element, []))
                }
            }
        }
        return stack.isEmpty ? root : nil
    }

    /// Text up to the next `<`, with entities and character references decoded; `nil` when one is not valid.
    private mutating func characterData() -> [UInt8]? {
        var text: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
            if bytes[index] != UInt8(ascii: "&") {
                text.append(bytes[index])
                index += 1
                continue
            }
            guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { return nil }
            let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
            index = semicolon + 1
            switch entity {
            case "amp": text.append(UInt8(ascii: "&"))
            case "lt": text.append(UInt8(ascii: "<"))
            case "gt": text.append(UInt8(ascii: ">"))
            case "quot": text.append(UInt8(ascii: "\""))
            case "apos": text.append(UInt8(ascii: "'"))
            default:
                guard entity.hasPrefix("#") else { return nil }
                let digits = entity.dropFirst()
                let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                guard let value, value != 0, let scalar = Unicode.Scalar(value), !digits.contains("+"), !digits.contains("-") else { return nil }
                text += Array(String(Character(scalar)).utf8)
            }
        }
        return text
    }

    /// An element name (its local part); `nil` when there is none.
    private mutating func name() -> String? {
        let start = index
        while index < bytes.count, !Self.isWhitespace(bytes[index]), bytes[index] != UInt8(ascii: ">"), bytes[index] != UInt8(ascii: "/"),
              bytes[index] != UInt8(ascii: "<") {
            index += 1
        }
        guard index > start else { return nil }
        let qualified = bytes[start..<index]
        let local = qualified.lastIndex(of: UInt8(ascii: ":")).map { qualified[($0 + 1)...] } ?? qualified
        return local.isEmpty ? nil : String(decoding: local, as: UTF8.self)
    }

    /// Skips a start tag's attributes up to `>` or `/>`; whether the tag closed itself, `nil` if it never ends.
    private mutating func skipAttributes() -> Bool? {
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "<") {
                return nil
            } else if byte == UInt8(ascii: ">") {
                return index >= 2 && bytes[index - 2] == UInt8(ascii: "/")
            }
        }
        return nil
    }

    private mutating func skip(_ literal: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else { return false }
        index += expected.count
        return true
    }

    /// Moves past the next `terminator`; `false` when there is none.
    private mutating func skip(until terminator: [UInt8]) -> Bool {
        guard let end = find(terminator) else { return false }
        index = end + terminator.count
        return true
    }

    private func find(_ needle: [UInt8]) -> Int? {
        var position = index
        while position + needle.count <= bytes.count {
            if bytes[position] == needle[0], bytes[position..<(position + needle.count)].elementsEqual(needle) { return position }
            position += 1
        }
        return nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }
}
