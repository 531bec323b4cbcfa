import ArgumentParser
import Synchronization
import Transport
import ZMQTransport
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `brigade-test-peer transport-node`: a ZMQTransport node for multi-process tests and benchmarks.
///
/// Prints `READY <name> <incarnation> <control> <bulk> <key>` once bound, then one `EVENT …` line per transport
/// event. Commands on standard input, one per line: `stats` prints `STATS key=value …`; `flood PEER BYTES COUNT`
/// sends up to COUNT fresh BYTES-byte bulk messages with trySend until one is refused and prints `FLOOD key=value …`
/// (see `TransportFlood`); `depth PEER` prints `DEPTH messages bytes`; end of input shuts the node down and exits.
struct TransportNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport-node",
        abstract: "Run a ZMQTransport node (echoes calls with --echo) until standard input closes.")

    @Option(help: "Node name.")
    var name: String

    @Flag(help: "No CURVE (single host only).")
    var insecure = false

    @Option(help: "This node's CURVE secret key (Z85).")
    var secretKey: String?

    @Option(help: "An allowed peer as NAME=PUBLICKEY (repeatable).")
    var allow: [String] = []

    @Option(help: "A peer to add at start: the text after READY in its announcement (repeatable).")
    var peer: [String] = []

    @Option(help: "Control inbox endpoint.")
    var control = "tcp://127.0.0.1:0"

    @Option(help: "Bulk inbox endpoint.")
    var bulk = "tcp://127.0.0.1:0"

    @Option(help: "libzmq I/O threads.")
    var ioThreads = 2

    @Flag(help: "Answer every call with a reply carrying the same payload.")
    var echo = false

    @Option(help: "Most bytes queued per peer on the bulk lane.")
    var bulkQueueBytes: Int?

    func run() async throws {
        let security: ZMQTransportConfiguration.Security
        if insecure {
            security = .insecure
        } else {
            guard let secretKey else { throw ValidationError("--secret-key is required unless --insecure") }
            var allowed: [String: String] = [:]
            for entry in allow {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--allow expects NAME=PUBLICKEY, got '\(entry)'") }
                allowed[parts[0]] = parts[1]
            }
            security = .curve(.init(keyPair: try CurveKeyPair(secretKey: secretKey), allowedPeers: allowed))
        }
        var configuration = ZMQTransportConfiguration(
            node: .fresh(name: name), security: security, controlEndpoint: control, bulkEndpoint: bulk)
        configuration.ioThreads = ioThreads
        if let bulkQueueBytes { configuration.limits.bulkQueueBytes = bulkQueueBytes }
        let transport = try ZMQTransport(configuration: configuration)
        transport.setEventHandler { event in Output.line("EVENT \(Self.describe(event))") }
        if echo { TransportBenchmark.installEcho(on: transport) }
        // Announce before adding peers: a reader skips lines until the announcement, and must not skip the events
        // that adding a peer brings.
        Output.line(PeerAnnouncement(of: transport).line)
        for text in peer { try transport.addPeer(try PeerAnnouncement(parsing: text).address) }
        while let command = readLine() {
            switch command {
            case "stats": Output.line("STATS " + Self.describe(transport.statistics))
            case _ where command.hasPrefix("flood "): Output.line("FLOOD " + TransportFlood.run(command, on: transport))
            case _ where command.hasPrefix("depth "):
                let depth = transport.queueDepth(to: String(command.dropFirst(6)), lane: .bulk)
                Output.line("DEPTH \(depth?.messages ?? -1) \(depth?.bytes ?? -1)")
            default: Output.line("ERROR unknown command '\(command)'")
            }
        }
        await transport.shutdown()
    }

    static func describe(_ event: TransportEvent) -> String {
        switch event {
        case .connected(let peer, let lane): "connected \(peer) \(lane)"
        case .disconnected(let peer, let lane): "disconnected \(peer) \(lane)"
        case .peerRestarted(let old, let new): "restarted \(old) \(new)"
        case .rejected(let endpoint, let reason): "rejected \(endpoint) \(reason)"
        }
    }

    static func describe(_ statistics: TransportStatistics) -> String {
        var fields = [
            "sent=\(statistics.messagesSent)", "received=\(statistics.messagesReceived)",
            "bytes_sent=\(statistics.bytesSent)", "bytes_received=\(statistics.bytesReceived)",
        ]
        for reason in DropReason.allCases { fields.append("\(reason.rawValue)=\(statistics.dropped(reason))") }
        return fields.joined(separator: " ")
    }
}

/// Whole lines on standard output, written at once, from any thread. Bypasses stdio: `fflush(nil)` would also
/// lock standard input, which the main task is blocked reading.
enum Output {
    private static let lock = Mutex(())

    static func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
