@testable import ObjectStore
import Testing
import TestSupport

/// takevault's reader for S3's XML answers: the documents S3 and SeaweedFS send, the escapes they
/// use, and refusals (never a crash) for what they never send.
@Suite("S3 XML")
struct S3XMLReaderTests {
    @Test("a ListObjectsV2 answer: declaration, namespace, entities, several entries")
    func listing() throws {
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name>
              <IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b</NextContinuationToken>
              <Contents><Key>v1/owners/u1/keys/1</Key><Size>76</Size></Contents>
              <Contents><Key>v1/owners/u1/chunks/&#x61;&#98;&lt;&gt;&quot;&apos;</Key><Size>4</Size></Contents>
            </ListBucketResult>
            """
        let root = try #require(S3XML.parse(Array(document.utf8)))
        #expect(root.name == "ListBucketResult")
        #expect(root.value("NextContinuationToken") == "a&b")
        #expect(root.all("Contents").map { $0.value("Key") } == ["v1/owners/u1/keys/1", "v1/owners/u1/chunks/ab<>\"'"])
        #expect(root.all("Contents").map { $0.value("Size") } == ["76", "4"])
    }

    @Test("prefixed names, self-closing elements, comments, CDATA, attributes with > in quotes")
    func smallerCorners() throws {
        let document = #"<s3:Error a='x>y'><!-- note --><Code>SlowDown</Code><Empty/><Message><![CDATA[<raw> & text]]></Message></s3:Error>"#
        let root = try #require(S3XML.parse(Array(document.utf8)))
        #expect(root.name == "Error" && root.value("Code") == "SlowDown" && root.value("Empty") == "" && root.value("Message") == "<raw> & text")
    }

    @Test("what S3 never sends is unreadable, not a crash", arguments: [
        "", "   ", "<a>", "<a></b>", "<a/><b/>", "text<a/>", "<a>&unknown;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#-1;</a>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a><![CDATA[x</a>", "<?xml", "<a b=\"c></a>", "</a>", "<>", "<a></a>trailing",
        String(repeating: "<a>", count: 65) + String(repeating: "</a>", count: 65),
    ])
    func refusals(_ document: String) {
        #expect(S3XML.parse(Array(document.utf8)) == nil)
    }

    @Test("invalid UTF-8 in a name (found by fuzzing: Foundation's parser trapped on it)")
    func invalidUTF8() {
        let found = readBytes(RepositoryPaths.root + "/Tests/Fixtures/fuzz/s3-xml-invalid-utf8-name.xml")
        #expect(S3XML.parse(found) == nil)
        #expect(S3Response(status: 503, headers: [:], body: found, attempts: 1).errorDetail == "HTTP 503")
        #expect(S3XML.parse([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]) == nil)
    }

    @Test("what takevault writes, it reads back")
    func roundTrip() throws {
        let tagging = S3XML.tagging([(key: "owner", value: "u1"), (key: "note", value: "a<b>&\"c'")])
        let root = try #require(S3XML.parse(tagging))
        let tags = root.child("TagSet")?.all("Tag").map { ($0.value("Key") ?? "", $0.value("Value") ?? "") }
        #expect(tags?.map(\.0) == ["owner", "note"] && tags?.map(\.1) == ["u1", "a<b>&\"c'"])
    }
}
