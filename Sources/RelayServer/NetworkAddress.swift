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

    /// Whether the address is a unicast address on the public internet.
    var isPublic: Bool {
        switch bytes {
        case .v4(let a, let b, _, _):
            switch (a, b) {
            case (0, _), (10, _), (127, _): return false                 // this network, private, loopback
            case (100, 64...127): return false                           // carrier-grade NAT
            case (169, 254): return false                                // link-local (cloud metadata)
            case (172, 16...31), (192, 168): return false                // private
            case (192, 0), (198, 18...19): return false                  // IETF protocol assignments, benchmarking
            case (224...255, _): return false                            // multicast, reserved, broadcast
            default: return true
            }
        case .v6(let raw):
            if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xff && raw[11] == 0xff {
                return NetworkAddress(bytes: .v4(raw[12], raw[13], raw[14], raw[15])).isPublic  // IPv4-mapped
            }
            if raw[0..<15].allSatisfy({ $0 == 0 }) { return false }                            // :: and ::1
            if raw[0] & 0xfe == 0xfc { return false }                                         // unique local fc00::/7
            if raw[0] == 0xfe && raw[1] & 0xc0 == 0x80 { return false }                        // link-local fe80::/10
            if raw[0] == 0xff { return false }                                                // multicast
            if raw[0] == 0x20 && raw[1] == 0x01 && raw[2] == 0x0d && raw[3] == 0xb8 { return false }  // documentation
            if raw[0] == 0x00 && raw[1] == 0x64 && raw[2] == 0xff && raw[3] == 0x9b {          // NAT64 64:ff9b::/96
                return NetworkAddress(bytes: .v4(raw[12], raw[13], raw[14], raw[15])).isPublic
            }
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
