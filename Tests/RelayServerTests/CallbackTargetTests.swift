@testable import RelayServer
import Testing

/// Where callbacks may go: URLs parsed strictly, and every address a host resolves to judged
/// public or not (literals here, so no DNS is involved).
@Suite("callback targets")
struct CallbackTargetTests {
    @Test("public addresses, and IPv6 forms carrying a public IPv4 address", arguments: [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8",
    ])
    func publicAddresses(_ literal: String) throws {
        let addresses = NetworkAddress.resolve(literal)
        #expect(!addresses.isEmpty && addresses.allSatisfy(\.isPublic), "\(addresses)")
    }

    @Test("loopback, private, link-local, reserved, documentation and inward-translating addresses, in every spelling", arguments: [
        "127.0.0.1", "127.1", "2130706433", "0x7f.1", "017700000001", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:0:127.0.0.1",
        "::ffff:169.254.169.254", "2002:7f00:1::", "2002:a9fe:a9fe::1", "64:ff9b::7f00:1", "64:ff9b:1::1", "fe80::1", "fec0::1",
        "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "2001::1", "100::1",
    ])
    func nonPublicAddresses(_ literal: String) throws {
        let addresses = NetworkAddress.resolve(literal)
        #expect(!addresses.isEmpty, "\(literal) did not resolve")
        #expect(addresses.allSatisfy { !$0.isPublic }, "\(literal) → \(addresses)")
    }

    @Test("callback URLs: what is accepted, and its parts")
    func accepted() throws {
        let plain = try CallbackTarget("http://relay.example:8080/takevault/jobs?relay=eu-1")
        #expect(!plain.isHTTPS && plain.host == "relay.example" && plain.port == 8080 && plain.pathAndQuery == "/takevault/jobs?relay=eu-1")
        #expect(plain.authority == "relay.example:8080")
        let secure = try CallbackTarget("HTTPS://[2001:db8::5]/x")
        #expect(secure.isHTTPS && secure.host == "2001:db8::5" && secure.port == 443 && secure.pathAndQuery == "/x")
        #expect(try CallbackTarget("http://relay.example").pathAndQuery == "/")
        #expect(try CallbackTarget("http://relay.example?a=1").pathAndQuery == "/?a=1")
    }

    @Test("callback URLs: what is refused", arguments: [
        "ftp://relay.example/x", "file:///etc/passwd", "relay.example/x", "http://", "http://user:pw@relay.example/x",
        "http://relay.example/x#frag", "http://relay.example:0/", "http://relay.example:65536/", "http://relay.example:8o/",
        "http://relay example/", "http://relay.example/\u{7f}", "http://rélay.example/", "http://[::1/x", "http://[::1]x/",
        "http://relay_example/", "http://" + String(repeating: "a", count: 2050),
    ])
    func refused(_ url: String) {
        #expect(throws: CallbackTargetError.self) { try CallbackTarget(url) }
    }

    @Test("owner scopes: exact ids, prefixes, everything; patterns outside the id rule are refused")
    func ownerScopes() throws {
        let scope = try OwnerScope(patterns: ["u1", "eu-*"])
        #expect(scope.permits("u1") && scope.permits("eu-7") && scope.permits("eu-"))
        #expect(!scope.permits("u10") && !scope.permits("us-1") && !scope.permits("eu"))
        #expect(try OwnerScope(patterns: ["*"]).permits("anyone"))
        #expect(!(try OwnerScope(patterns: []).permits("u1")))
        for bad in ["U1", "eu*x", "**", "*eu", "", "-x*", "eu-/*", String(repeating: "a", count: 65)] {
            #expect(throws: OwnerScopeError.self, "\(bad)") { try OwnerScope(patterns: [bad]) }
        }
    }
}
