#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Syntax and classification of the host names and addresses a topology file uses.
enum HostAddress {
    /// What is wrong with `host` as an IPv4 address, IPv6 address or DNS host name (RFC 1123), or nil if nothing.
    static func problem(_ host: String) -> String? {
        if host.isEmpty { return "is empty" }
        if isIPv4(host) || isIPv6(host) { return nil }
        if host.contains(":") { return "'\(host)' is not a valid IPv6 address" }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "'\(host)' is not a valid IPv4 address"
        }
        guard host.utf8.count <= 253 else { return "'\(host)' is longer than 253 characters" }
        for label in labels {
            let valid = !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            if !valid { return "'\(host)' is not a valid host name or address" }
        }
        return nil
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`: addresses that never leave the machine.
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "localhost." || lowered.hasSuffix(".localhost") { return true }
        if isIPv4(host) { return host.hasPrefix("127.") }
        if isIPv6(host), let bytes = ipv6Bytes(host) { return bytes == [UInt8](repeating: 0, count: 15) + [1] }
        return false
    }

    /// True for `0.0.0.0` and `::`, which a process may bind but no peer can dial.
    static func isUnspecified(_ host: String) -> Bool {
        if isIPv4(host) { return host.split(separator: ".").allSatisfy { Int($0) == 0 } }
        if let bytes = ipv6Bytes(host) { return bytes.allSatisfy { $0 == 0 } }
        return false
    }

    /// The same host in one spelling, so `localhost` and `127.0.0.1` compare equal when looking for port clashes.
    static func canonical(_ host: String) -> String {
        isLoopback(host) ? "loopback" : host.lowercased()
    }

    static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    static func isIPv6(_ host: String) -> Bool { ipv6Bytes(host) != nil }

    private static func ipv6Bytes(_ host: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
