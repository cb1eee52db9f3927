import RelayAPI
import Testing

/// The range and conditional headers of an artefact GET, as RFC 9110 reads them, on edge values.
@Suite("Range, If-None-Match and If-Range parsing")
struct ConditionalRangeTests {
    @Test("byte ranges: ordinary, suffix, open-ended, clamped, huge numbers, leading zeros, unsatisfiable, ignored")
    func ranges() {
        let length: Int64 = 1_000
        let cases: [(String?, ByteRangeRequest)] = [
            (nil, .whole),
            ("bytes=0-99", .partial(0..<100)),
            ("bytes=990-", .partial(990..<1_000)),
            ("bytes=-10", .partial(990..<1_000)),
            ("bytes=-5000", .partial(0..<1_000)),
            ("bytes=-18446744073709551615", .partial(0..<1_000)),
            ("bytes=500-18446744073709551615", .partial(500..<1_000)),
            ("bytes=0000000000000000000000000001-2", .partial(1..<3)),
            ("BYTES=1-1", .partial(1..<2)),
            ("bytes=1000-", .unsatisfiable),
            ("bytes=18446744073709551615-", .unsatisfiable),
            ("bytes=9223372036854775808-9223372036854775809", .unsatisfiable),
            ("bytes=-0", .unsatisfiable),
            ("bytes=5-2", .whole),
            ("bytes=18446744073709551615-3", .whole),
            ("bytes=0-1,5-6", .whole),
            ("bytes=0 - 99", .whole),
            ("bytes=x-1", .whole),
            ("items=0-1", .whole),
            ("bytes=", .whole),
            ("bytes=-", .whole),
        ]
        for (header, expected) in cases {
            #expect(ByteRangeRequest.evaluate(header, length: length) == expected, "\(header ?? "nil")")
        }
        #expect(ByteRangeRequest.evaluate("bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRangeRequest.evaluate("bytes=-1", length: 0) == .unsatisfiable)
    }

    @Test("If-None-Match matches the tag anywhere in a long list, weak or strong; If-Range only the exact strong tag")
    func conditions() {
        let tag = EntityTagCondition.tag(sha256: String(repeating: "ab", count: 32))
        let long = (0..<500).map { "\"t\($0)\"" }.joined(separator: ", ") + ", W/" + tag
        #expect(EntityTagCondition.noneMatchHits(long, tag: tag))
        #expect(EntityTagCondition.noneMatchHits("*", tag: tag))
        #expect(!EntityTagCondition.noneMatchHits("\"other\", \"ab", tag: tag))
        #expect(!EntityTagCondition.noneMatchHits(nil, tag: tag))
        #expect(EntityTagCondition.ifRangeAllows(tag, tag: tag) && EntityTagCondition.ifRangeAllows(nil, tag: tag))
        #expect(!EntityTagCondition.ifRangeAllows("W/" + tag, tag: tag) && !EntityTagCondition.ifRangeAllows("Mon, 30 Nov 2026 10:00:00 GMT", tag: tag))
    }

    @Test("a date with a leading zero is malformed, not a wrong signature")
    func leadingZeroDate() {
        let authorization = "TAKEVAULT-HMAC-SHA256 Credential=relay-a, Signature=" + String(repeating: "0", count: 64)
        let parsed = SignedRequestHeaders.parse(authorization: authorization, date: "01796000000", nonce: "4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e",
                                                contentSHA256: RelaySignature.emptyBodySHA256, idempotencyKey: nil, metadata: nil)
        guard case .failure(let problem) = parsed else { Issue.record("accepted a leading zero"); return }
        #expect(problem.code == "auth_malformed")
    }
}
