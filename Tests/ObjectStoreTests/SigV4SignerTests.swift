import ObjectStore
import Testing

/// The signer against the published examples: the AWS SigV4 test suite (service `service`,
/// 2015-08-30) and the S3 documentation's header-signing examples (2013-05-24). Each expected value
/// below is AWS's; a signer that differs in any step of canonicalisation or key derivation fails.
@Suite("SigV4 signer")
struct SigV4SignerTests {
    static let suiteSigner = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let suiteDate = "20150830T123600Z"
    static let suiteHeaders: [(name: String, value: String)] = [("Host", "example.amazonaws.com"), ("X-Amz-Date", suiteDate)]

    static let s3Signer = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    static let s3Date = "20130524T000000Z"

    @Test("get-vanilla: canonical request, string to sign, signature, header")
    func getVanilla() {
        let signed = Self.suiteSigner.sign(.init(method: "GET", encodedPath: "/", headers: Self.suiteHeaders, payloadHash: SigV4Signer.emptyPayloadHash),
                                           amzDate: Self.suiteDate)
        #expect(signed.canonicalRequest == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + SigV4Signer.emptyPayloadHash)
        #expect(signed.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test("post-vanilla, get-vanilla-query-order-key-case, post-vanilla-query, get-utf8")
    func moreSuiteCases() {
        func signature(_ method: String, _ path: String, _ query: [(name: String, value: String)] = []) -> String {
            Self.suiteSigner.sign(.init(method: method, encodedPath: path, query: query, headers: Self.suiteHeaders, payloadHash: SigV4Signer.emptyPayloadHash),
                                  amzDate: Self.suiteDate).signature
        }
        let post = Self.suiteSigner.sign(.init(method: "POST", encodedPath: "/", headers: Self.suiteHeaders, payloadHash: SigV4Signer.emptyPayloadHash), amzDate: Self.suiteDate)
        #expect(post.stringToSign.hasSuffix("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"))
        #expect(post.signature == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        #expect(signature("GET", "/", [("Param2", "value2"), ("Param1", "value1")]) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        #expect(signature("POST", "/", [("Param1", "value1")]) == "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")
        #expect(SigV4Signer.encodePath("/ሴ") == "/%E1%88%B4")
        #expect(signature("GET", SigV4Signer.encodePath("/ሴ")) == "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
    }

    @Test("S3 GET object with a range (documentation example)")
    func s3GetObject() {
        let signed = Self.s3Signer.sign(.init(method: "GET", encodedPath: "/test.txt", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", Self.s3Date),
        ], payloadHash: SigV4Signer.emptyPayloadHash), amzDate: Self.s3Date)
        #expect(signed.stringToSign.hasSuffix("\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signed.signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
    }

    @Test("S3 PUT object with a body hash and an encoded key (documentation example)")
    func s3PutObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let hash = SigV4Signer.hexSHA256(body)
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = Self.s3Signer.sign(.init(method: "PUT", encodedPath: SigV4Signer.encodePath("/test$file.text"), headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", hash), ("x-amz-date", Self.s3Date), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ], payloadHash: hash), amzDate: Self.s3Date)
        #expect(signed.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(signed.stringToSign.hasSuffix("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("S3 list objects with a query (documentation example)")
    func s3ListObjects() {
        let signed = Self.s3Signer.sign(.init(method: "GET", encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", Self.s3Date),
        ], payloadHash: SigV4Signer.emptyPayloadHash), amzDate: Self.s3Date)
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("encoding, header normalisation, dates, credentials files, and secrets never printed")
    func pieces() throws {
        #expect(SigV4Signer.uriEncode("a b+c/d~e", keepSlash: false) == "a%20b%2Bc%2Fd~e")
        #expect(SigV4Signer.uriEncode("a b+c/d~e", keepSlash: true) == "a%20b%2Bc/d~e")
        #expect(SigV4Signer.canonicalQuery([("b", "2"), ("a", "x y"), ("a", "1"), ("uploads", "")]) == "a=1&a=x%20y&b=2&uploads=")
        let spaced = Self.suiteSigner.sign(.init(method: "GET", encodedPath: "/", headers: Self.suiteHeaders + [("My-Header1", "  value1   with  spaces ")],
                                                 payloadHash: SigV4Signer.emptyPayloadHash), amzDate: Self.suiteDate)
        #expect(spaced.canonicalRequest.contains("\nmy-header1:value1 with spaces\n"))
        #expect(SigV4Signer.amzDate(secondsSince1970: 1_440_938_160) == "20150830T123600Z")
        let file = "[default]\naws_access_key_id = AK1\naws_secret_access_key=S1\n\n[other]\n# comment\naws_access_key_id=AK2\naws_secret_access_key = S2\naws_session_token = T2\n"
        let other = try S3Credentials.fromCredentialsFile(file, profile: "other")
        #expect(other.accessKeyID == "AK2" && other.secretAccessKey == "S2" && other.sessionToken == "T2")
        #expect(try S3Credentials.fromCredentialsFile(file, profile: "default").secretAccessKey == "S1")
        #expect(throws: S3ConfigurationError.self) { try S3Credentials.fromCredentialsFile(file, profile: "missing") }
        #expect(!"\(other)".contains("S2") && !"\(other)".contains("T2") && !String(reflecting: other).contains("S2"))
        let fromEnvironment = try S3Credentials.load(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TK"])
        #expect(fromEnvironment.sessionToken == "TK")
        #expect(throws: S3ConfigurationError.self) { try S3Credentials.load(environment: ["AWS_ACCESS_KEY_ID": "AK", "HOME": "/nonexistent"]) }
    }

    @Test("store locations: s3://bucket/prefix, endpoints, addressing")
    func locations() throws {
        let environment = ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]
        let aws = try S3Configuration.from(url: "s3://takes-eu/vault1", region: "eu-west-1", environment: environment)
        #expect(aws.host == "s3.eu-west-1.amazonaws.com" && aws.scheme == "https" && aws.port == 443)
        #expect(aws.addressing == .virtualHost && aws.prefix == "vault1/" && aws.bucket == "takes-eu")
        let local = try S3Configuration.from(url: "s3://takes", region: "eu-west-1",
                                             environment: environment.merging(["TAKEVAULT_S3_ENDPOINT": "http://127.0.0.1:8333"]) { $1 })
        #expect(local.host == "127.0.0.1" && local.port == 8333 && local.addressing == .path && local.prefix == "")
        for bad in ["s3://", "s3://A_B", "s3://ok-bucket/../x", "http://x"] {
            #expect(throws: S3ConfigurationError.self, "\(bad)") { try S3Configuration.from(url: bad, region: "eu-west-1", environment: environment) }
        }
        #expect(throws: S3ConfigurationError.self) {
            try S3Configuration.from(url: "s3://takes", region: "eu-west-1", environment: environment.merging(["TAKEVAULT_S3_PART_SIZE": "1024"]) { $1 })
        }
    }
}
