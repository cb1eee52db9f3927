#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A relay's callback URL, parsed strictly when `relays.json` is read: `http` or `https`, a host
/// (a name, an IPv4 address or a bracketed IPv6 address), an optional port, a path and query; no
/// user info, no fragment, only printable ASCII, at most ``maximumLength`` bytes.
public struct CallbackTarget: Sendable, Equatable, CustomStringConvertible {
    public static let maximumLength = 2048

    /// The URL as written.
    public let url: String
    public let isHTTPS: Bool
    /// The host without brackets.
    public let host: String
    public let port: Int
    /// `/path?query`, what the callback signature covers.
    public let pathAndQuery: String
    /// `host[:port]` as the `Host` header carries it.
    public let authority: String

    public init(_ url: String) throws(CallbackTargetError) {
        guard url.utf8.count <= Self.maximumLength, url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw CallbackTargetError(problem: "is longer than \(Self.maximumLength) bytes or has spaces, control or non-ASCII characters")
        }
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            isHTTPS = true
            rest = url.dropFirst("https://".count)
        } else if lower.hasPrefix("http://") {
            isHTTPS = false
            rest = url.dropFirst("http://".count)
        } else {
            throw CallbackTargetError(problem: "is not an http:// or https:// URL")
        }
        guard !url.contains("#") else { throw CallbackTargetError(problem: "has a fragment (#…)") }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw CallbackTargetError(problem: "carries user information (user@host)") }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw CallbackTargetError(problem: "has an unclosed [IPv6 address]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw CallbackTargetError(problem: "has text after its [IPv6 address]") }
                portText = after.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw CallbackTargetError(problem: "has a malformed IPv6 address")
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            }
            guard !hostPart.isEmpty, hostPart.utf8.count <= 253,
                  hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
                throw CallbackTargetError(problem: "has no valid host name")
            }
        }
        var port = isHTTPS ? 443 : 80
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy(\.isASCIIDigit), let value = Int(portText), (1...65535).contains(value) else {
                throw CallbackTargetError(problem: "has a port that is not 1–65535")
            }
            port = value
        }
        self.url = url
        self.host = String(hostPart)
        self.port = port
        self.authority = String(authority)
        let path = rest[authorityEnd...]
        pathAndQuery = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
    }

    public var description: String { url }
}

/// Why a callback URL is refused; `problem` completes "the callback_url …".
public struct CallbackTargetError: Error, Sendable, Equatable {
    public let problem: String
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
