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
        #expect(try UploadMetadata(owner: "u1", tier: .pro, fileName: "bass.wav").headerValue() == Self.example.metadataHeader)
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
        let signature = Self.example.sign(secret: Self.secret)
        let header = RelaySignature.authorization(keyID: "studio-eu-1", signature: signature)
        let parsed = try #require(SignedRequestHeaders.parseAuthorization(header))
        #expect(parsed.keyID == "studio-eu-1" && Self.example.verify(signature: parsed.signature, secret: Self.secret))
        #expect(SignedRequestHeaders.parseAuthorization("TAKEVAULT-HMAC-SHA256 Signature=\(signature),Credential=a") != nil, "either order")
        for bad in ["", "Bearer x", "TAKEVAULT-HMAC-SHA256 Credential=a", "TAKEVAULT-HMAC-SHA256 Signature=\(signature)",
                    "TAKEVAULT-HMAC-SHA256 Credential=, Signature=\(signature)", "TAKEVAULT-HMAC-SHA256 Credential=a, Signature=abc123",
                    "TAKEVAULT-HMAC-SHA256 Credential=a, Signature=\(signature), Extra=1", "TAKEVAULT-HMAC-SHA256 Credential=a, Credential=b",
                    "TAKEVAULT-HMAC-SHA256 Credential=a/b, Signature=\(signature)", "TAKEVAULT-HMAC-SHA256 Credential=a, Signature=\(signature)0",
                    "TAKEVAULT-HMAC-SHA256 Credential=\(String(repeating: "k", count: 65)), Signature=\(signature)",
                    "TAKEVAULT-CALLBACK-HMAC-SHA256 Credential=a, Signature=\(signature)"] {
            #expect(SignedRequestHeaders.parseAuthorization(bad) == nil, "\(bad)")
        }
    }

    @Test("signing headers are parsed strictly: digits, lengths, alphabets, range", arguments: [
        ("date", "-9223372036854775808"), ("date", "9223372036854775807"), ("date", "+1796000000"), ("date", " 1796000000"),
        ("date", "1796000000 "), ("date", "0x6b0c2a80"), ("date", ""), ("date", "١٧٩٦٠٠٠٠٠٠"), ("date", "100000000000"),
        ("nonce", "short"), ("nonce", String(repeating: "n", count: 129)), ("nonce", "nonce with spaces in it"), ("nonce", "nonce-with-é-0123456"),
        ("hash", String(repeating: "0", count: 63)), ("hash", String(repeating: "g", count: 64)), ("hash", String(repeating: "0", count: 65)),
        ("key", ""), ("key", String(repeating: "k", count: 129)), ("key", "with space"),
        ("metadata", "not/base64url="), ("metadata", String(repeating: "A", count: 16 * 1024 + 1)),
    ])
    func strictHeaders(field: String, value: String) {
        func parse(_ change: String, _ to: String) -> Result<SignedRequestHeaders, SignedRequestHeaders.Problem> {
            SignedRequestHeaders.parse(
                authorization: RelaySignature.authorization(keyID: "relay-a", signature: String(repeating: "ab", count: 32)),
                date: change == "date" ? to : "1796000000", nonce: change == "nonce" ? to : "4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e",
                contentSHA256: change == "hash" ? to : RelaySignature.emptyBodySHA256, idempotencyKey: change == "key" ? to : "k1",
                metadata: change == "metadata" ? to : "eyJvd25lciI6InUxIn0")
        }
        #expect((try? parse("", "").get())?.timestamp == 1_796_000_000)
        guard case .failure(let problem) = parse(field, value) else { Issue.record("\(field)=\(value.prefix(40)) was accepted"); return }
        let expected = ["date": "auth_malformed", "nonce": "auth_malformed", "hash": "auth_malformed", "key": "idempotency_key_invalid", "metadata": "metadata_invalid"]
        #expect(problem.code == expected[field])
    }

    @Test("absent signing headers are auth_missing; absent idempotency key and metadata are allowed (a GET)")
    func absentHeaders() {
        let parsed = SignedRequestHeaders.parse(
            authorization: RelaySignature.authorization(keyID: "relay-a", signature: String(repeating: "ab", count: 32)), date: "1796000000",
            nonce: "4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e", contentSHA256: RelaySignature.emptyBodySHA256, idempotencyKey: nil, metadata: nil)
        #expect((try? parsed.get())?.idempotencyKey == "")
        let missing = SignedRequestHeaders.parse(authorization: nil, date: nil, nonce: nil, contentSHA256: nil, idempotencyKey: nil, metadata: nil)
        #expect(missing == .failure(.missing(header: RelayHeaders.authorization)))
    }

    /// The callback example in docs/RELAY.md, computed there with Python's hmac module.
    static var callbackExample: CallbackSignature {
        CallbackSignature(path: "/takevault/jobs?relay=eu-1", timestamp: 1_796_000_100, nonce: "9b2e4c1d7a3f58e06b1c2d3e4f5a6b7c",
                          jobID: "job_0000000000001", bodySHA256: RelayClient.sha256(bytes: Array(#"{"job_id":"job_0000000000001","state":"done"}"#.utf8)))
    }

    @Test("the documented callback example; a callback's signature never verifies as a request's, nor the reverse")
    func callbackDomainSeparation() throws {
        let callback = Self.callbackExample
        #expect(callback.bodySHA256 == "c1e572a96a669acffd1b1ebd6daac2b021390f1b7fb47a0cd950825d5806b788")
        let signature = callback.sign(secret: Self.secret)
        #expect(signature == "d000b4e3f3f8deceb2d6dd96ea60b25fb667bb47dc4196255db7d203b2e83d3c")
        #expect(callback.verify(signature: signature, secret: Self.secret))
        // The same fields as a request: the request the callback's signature would have to be mistaken for.
        let asRequest = RelaySignature(method: "POST", path: callback.path, timestamp: callback.timestamp, nonce: callback.nonce,
                                       idempotencyKey: callback.jobID, bodySHA256: callback.bodySHA256)
        #expect(!asRequest.verify(signature: signature, secret: Self.secret))
        #expect(!callback.verify(signature: asRequest.sign(secret: Self.secret), secret: Self.secret))
        #expect(callback.canonicalString.split(separator: "\n").first == "TAKEVAULT-CALLBACK-HMAC-SHA256")
        #expect(callback.canonicalString.split(separator: "\n", omittingEmptySubsequences: false).count == 7)
        #expect(asRequest.canonicalString.split(separator: "\n", omittingEmptySubsequences: false).count == 8)
    }

    @Test("metadata header: base64url without padding; bad headers say why")
    func metadataHeader() throws {
        let metadata = UploadMetadata(owner: "u1", tier: .studio, fileName: "a/b+c?.wav", sessionID: "s1",
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
