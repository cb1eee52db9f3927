@testable import ObjectStore

/// The XML an S3 endpoint answers with: listings, errors, multipart and tagging documents.
enum StoreFuzzing {
    static func xml(_ bytes: [UInt8]) {
        if let root = S3XML.parse(bytes) {
            for name in ["Contents", "Upload", "Tag", "Part", "Error"] {
                for element in root.all(name) { _ = element.value("Key"); _ = element.value("Value"); _ = element.text.count }
            }
        }
        _ = S3Response(status: 500, headers: [:], body: bytes, attempts: 1).errorDetail
    }
}
