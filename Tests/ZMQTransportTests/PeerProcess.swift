import Testing
import Transport
import ZMQTransport

#if canImport(Glibc)
import Glibc
#endif

/// A `brigade-test-peer transport-node` child process: a ZMQTransport node in its own OS process.
/// Used by one test at a time (its pipes are not shared).
final class PeerProcess: @unchecked Sendable {
    let process: PipedProcess
    let announcement: PeerAnnouncement

    var node: NodeID { announcement.node }
    var address: PeerAddress { announcement.address }

    /// Starts a node called `name` that echoes calls and adds `peers` at start (so they learn of it by hello).
    init(name: String, peers: [PeerAnnouncement], extra: [String] = []) throws {
        var arguments = ["transport-node", "--name", name, "--insecure", "--echo"]
        for peer in peers { arguments += ["--peer", String(peer.line.dropFirst(PeerAnnouncement.prefix.count))] }
        process = try PipedProcess(executable: try Self.binary(), arguments: arguments + extra)
        announcement = try PeerAnnouncement(parsing: try process.readLine(startingWith: PeerAnnouncement.prefix))
    }

    /// Starts a node that adds the in-process transport `peer` at start.
    convenience init(name: String, peer: some Transport, extra: [String] = []) throws {
        try self.init(name: name, peers: [PeerAnnouncement(of: peer)], extra: extra)
    }

    /// Sends `command` and returns the `key=value` fields of the reply line that starts with `prefix`.
    func ask(_ command: String, reply prefix: String) throws -> [String: Int] {
        try process.writeLine(command)
        let line = try process.readLine(startingWith: prefix + " ")
        var result: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=")
            if parts.count == 2 { result[String(parts[0])] = Int(parts[1]) }
        }
        return result
    }

    /// The child's transport counters, by the names `TransportNode` prints (`received`, `wrongTarget`…).
    func statistics() throws -> [String: Int] {
        try ask("stats", reply: "STATS")
    }

    /// brigade-test-peer, built next to the test bundle by `swift build --build-tests`.
    static func binary() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let folder = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = folder + "/brigade-test-peer"
        guard access(path, X_OK) == 0 else {
            throw TestFailure("brigade-test-peer not found at \(path); build it with `swift build --build-tests`")
        }
        return path
    }
}
