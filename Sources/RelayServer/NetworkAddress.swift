#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address a callback host resolved to, and whether it is on the public internet.
///
/// Callbacks go where a relay's configuration says; unless the operator allows it, they must not
/// reach the operator's own network (loopback, private ranges, link-local — cloud metadata
/// services live there —, carrier-grade NAT, multicast, reserved and unspecified addresses, and
/// IPv6's equivalents, IPv4-mapped addresses included).
struct NetworkAddress: Sendable, Equatable, CustomStringConvertible {
    enum Bytes: Sendable, Equatable {
        case v4(UInt8, UInt8, UInt8, UInt8)
        case v6([UInt8])
    }

    let bytes: Bytes

    var description: String {
        switch bytes {
        case .v4(let a, let b, let c, let d): "\(a).\(b).\(c).\(d)"
        case .v6(let raw):
            "[" + stride(from: 0, to: 16, by: 2).map { String(UInt16(raw[$0]) << 8 | UInt16(raw[$0 + 1]), radix: 16) }.joined(separator: ":") + "]"
        }
    }

    /// Whether the address is a unicast address on the public internet. IPv6 forms that carry an
    /// IPv4 address (mapped, compatible, SIIT, NAT64, 6to4) are judged by that address; forms
    /// that tunnel or translate inward without saying where (Teredo, local-use NAT64) are refused.
    var isPublic: Bool {
        switch bytes {
        case .v4(let a, let b, let c, _):
            switch (a, b, c) {
            case (0, _, _), (10, _, _), (127, _, _): return false                    // this network, private, loopback
            case (100, 64...127, _): return false                                   // carrier-grade NAT
            case (169, 254, _): return false                                        // link-local (cloud metadata)
            case (172, 16...31, _), (192, 168, _): return false                     // private
            case (192, 0, 0), (192, 0, 2), (192, 88, 99): return false              // IETF assignments, documentation, 6to4 relay
            case (198, 18...19, _), (198, 51, 100), (203, 0, 113): return false     // benchmarking, documentation
            case (224...255, _, _): return false                                    // multicast, reserved, broadcast
            default: return true
            }
        case .v6(let raw):
            func embedded(at offset: Int) -> Bool {
                NetworkAddress(bytes: .v4(raw[offset], raw[offset + 1], raw[offset + 2], raw[offset + 3])).isPublic
            }
            let prefix32 = raw[0..<4]
            if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xff && raw[11] == 0xff { return embedded(at: 12) }  // IPv4-mapped ::ffff:0:0/96
            if raw[0..<8].allSatisfy({ $0 == 0 }) && raw[8] == 0xff && raw[9] == 0xff && raw[10] == 0 && raw[11] == 0 {
                return embedded(at: 12)                                                                           // SIIT ::ffff:0:0:0/96
            }
            if raw[0..<12].allSatisfy({ $0 == 0 }) { return false }           // ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated)
            if raw[0] & 0xfe == 0xfc { return false }                         // unique local fc00::/7
            if raw[0] == 0xfe && raw[1] & 0x80 == 0x80 { return false }       // link-local fe80::/10, site-local fec0::/10
            if raw[0] == 0xff { return false }                                // multicast
            if prefix32.elementsEqual([0x20, 0x01, 0x0d, 0xb8]) { return false }   // documentation 2001:db8::/32
            if prefix32.elementsEqual([0x20, 0x01, 0x00, 0x00]) { return false }   // Teredo 2001::/32
            if raw[0] == 0x20 && raw[1] == 0x02 { return embedded(at: 2) }        // 6to4 2002::/16
            if prefix32.elementsEqual([0x00, 0x64, 0xff, 0x9b]) {
                // NAT64: the well-known prefix 64:ff9b::/96 carries a public IPv4 address; the
                // local-use 64:ff9b:1::/48 translates into the operator's own network.
                return raw[4..<12].allSatisfy({ $0 == 0 }) ? embedded(at: 12) : false
            }
            if raw[0] == 0x01 && raw[1..<8].allSatisfy({ $0 == 0 }) { return false }  // discard-only 100::/64
            return true
        }
    }

    /// The literal to connect to in a URL (IPv6 in brackets).
    var urlHost: String { description }

    /// Resolves `host` (a name or a literal) to its addresses. Blocking: call off the event loops.
    static func resolve(_ host: String) -> [NetworkAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [NetworkAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        let raw = withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) }
                        addresses.append(NetworkAddress(bytes: .v4(raw[0], raw[1], raw[2], raw[3])))
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        addresses.append(NetworkAddress(bytes: .v6(withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) })))
                    }
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
