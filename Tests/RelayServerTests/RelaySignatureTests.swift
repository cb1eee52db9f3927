import RelayAPI
import Testing

/// The signing scheme against the worked example in docs/RELAY.md (computed there with Python's
/// hmac module: two implementations must agree byte for byte).
@Suite("relay request signing")
struct RelaySignatureTests {
    static let secret = Array("relay-docs-secret-0123456789abcdef01234".utf8)

    static var example: RelaySignature {
        RelaySignature(method: "POST", path: "/v1/takes", timestamp: 1_796_000_000, nonce: "4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e",
                       idempotencyKey: "take-2026-11-29-bass-01",
                       metadataHeader: "eyJmaWxlX25hbWUiOiJiYXNzLndhdiIsIm93bmVyIjoidTEiLCJ0aWVyIjoicHJvIn0",
                       bodySHA256: RelayClient.sha256(bytes: Array("hello takevault\n".utf8)))
    }

    @Test("the documented example: metadata header, canonical string, signature")
    func documentedExample() throws {
        #expect(try UploadMetadata(owner: "u1", tier: "pro", fileName: "bass.wav").headerValue() == Self.example.metadataHeader)
        #expect(Self.example.canonicalString == """
            TAKEVAULT-HMAC-SHA256
            POST
            /v1/takes
            1796000000
            4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e
            take-2026-11-29-bass-01
            4496a3adb04bb16df3c120ff734386190bc30afcae68948dcad3c4f45693ebc8
            bd9e7434af344178c1023cbdf36a0709514b61ff79fc2e5f554adf22f1a5fc4a
            """)
        #expect(Self.example.sign(secret: Self.secret) == "440c26a3dad63b898d58d4bba15d51caab2db12f8da75ca14d6fe1bc35c2909a")
    }

    @Test("verification fails when any signed field changes")
    func everyFieldIsBound() {
        let signature = Self.example.sign(secret: Self.secret)
        #expect(Self.example.verify(signature: signature, secret: Self.secret))
        #expect(Self.example.verify(signature: signature.uppercased(), secret: Self.secret))
        var variants: [RelaySignature] = []
        for change in 0..<7 {
            var altered = Self.example
            switch change {
            case 0: altered.method = "PUT"
            case 1: altered.path = "/v1/takes?x=1"
            case 2: altered.timestamp += 1
            case 3: altered.nonce += "0"
            case 4: altered.idempotencyKey = "take-2"
            case 5: altered.metadataHeader += "A"
            default: altered.bodySHA256 = RelaySignature.emptyBodySHA256
            }
            variants.append(altered)
        }
        for altered in variants { #expect(!altered.verify(signature: signature, secret: Self.secret)) }
        #expect(!Self.example.verify(signature: signature, secret: Array("another-secret-0123456789abcdef0123456".utf8)))
        #expect(!Self.example.verify(signature: String(signature.dropLast()), secret: Self.secret))
        #expect(!Self.example.verify(signature: "zz" + signature.dropFirst(2), secret: Self.secret))
    }

    @Test("Authorization header round trip; malformed headers are not parsed")
    func authorizationHeader() throws {
        let header = RelaySignature.authorization(keyID: "studio-eu-1", signature: "abc123")
        let parsed = try #require(RelaySignature.parseAuthorization(header))
        #expect(parsed.keyID == "studio-eu-1" && parsed.signature == "abc123")
        for bad in ["", "Bearer x", "TAKEVAULT-HMAC-SHA256 Credential=a", "TAKEVAULT-HMAC-SHA256 Signature=b", "TAKEVAULT-HMAC-SHA256 Credential=, Signature=b"] {
            #expect(RelaySignature.parseAuthorization(bad) == nil, "\(bad)")
        }
    }

    @Test("metadata header: base64url without padding; bad headers say why")
    func metadataHeader() throws {
        let metadata = UploadMetadata(owner: "u1", tier: "studio", fileName: "a/b+c?.wav", sessionID: "s1",
                                      participants: [.init(id: "u2", role: "producer")], recordedAt: "2026-11-29T10:00:00Z",
                                      dawTransport: .object(["tempo_bpm": .number(92)]))
        let header = try metadata.headerValue()
        #expect(!header.contains("=") && !header.contains("+") && !header.contains("/"))
        #expect(try UploadMetadata.decode(headerValue: header).get() == metadata)
        #expect(throws: UploadMetadata.MetadataProblem.notBase64URL) { try UploadMetadata.decode(headerValue: "a+b=").get() }
        #expect(throws: UploadMetadata.MetadataProblem.tooLarge) {
            try UploadMetadata.decode(headerValue: String(repeating: "A", count: UploadMetadata.maximumHeaderBytes + 1)).get()
        }
        let notJSON = UploadMetadata.decode(headerValue: Base64URL.encode(Array("[1,2]".utf8)))
        guard case .failure(.notJSON) = notJSON else { Issue.record("expected notJSON, got \(notJSON)"); return }
        for length in 0..<6 {
            let bytes = (0..<length).map { UInt8($0 * 77 & 0xff) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
