import ArgumentParser
import Foundation
import Membership
import MembershipShell
import Transport
import ZMQTransport

/// `brigade-test-peer membership-node`: a ZMQTransport node running the membership shell, for multi-process tests.
///
/// Prints `READY <name> <incarnation hex> <control> <bulk> -` once bound, then one JSON object per membership event:
/// `{"observer":…,"member":…,"uid":…,"incarnation":…,"previous":…,"status":…,"evidence":…,"wall_ms":…}` (`wall_ms`
/// is the wall clock in milliseconds, so tests can compare with the time they killed a peer). Commands on standard
/// input, one per line: `partition NAME` cuts the link to NAME both ways (the transport's FaultInjector), `heal`
/// removes every cut, `leave` leaves gracefully; end of input stops the node.
struct MembershipNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "membership-node",
        abstract: "Run a membership member over ZMQTransport and print its events as JSON lines.")

    @Option(help: "Node name.")
    var name: String

    @Option(help: "A seed to join through: the text after READY in its announcement (repeatable).")
    var seed: [String] = []

    @Flag(help: "Treat a dropped control connection followed by a failed ping as hard evidence.")
    var disconnectEvidence = false

    @Option(help: "Suspicion minimum in milliseconds (default: the library's).")
    var suspicionMinMs: Int?

    func run() async throws {
        let configuration = ZMQTransportConfiguration(node: .fresh(name: name), security: .insecure)
        let transport = try ZMQTransport(configuration: configuration)
        var settings = Settings()
        if let suspicionMinMs {
            settings.suspicionMin = .milliseconds(suspicionMinMs)
            settings.suspicionMax = .milliseconds(suspicionMinMs * 3)
        }
        let seeds = try seed.map { text throws(TransportError) in try PeerAnnouncement(parsing: text).address }
        let shell = try MembershipShell(transport: transport, metadata: ["role": "test"], seeds: seeds, settings: settings)
        if disconnectEvidence {
            transport.setEventHandler { event in
                if case .disconnected(let peer, .control) = event { shell.connectionLost(peer: peer) }
            }
        }
        Output.line(PeerAnnouncement(of: transport).line)
        let printer = Task {
            for await event in shell.events { Output.line(Self.json(event, observer: transport.localNode.name)) }
        }
        shell.start()
        while let command = readLine() {
            let words = command.split(separator: " ").map(String.init)
            switch words.first {
            case "partition" where words.count == 2: transport.faults.set(.partition, peer: words[1])
            case "heal": transport.faults.clearAll()
            case "leave": shell.leave()
            default: Output.line("{\"error\":\"unknown command\"}")
            }
        }
        shell.stop()
        await printer.value
        await transport.shutdown()
    }

    static func json(_ event: MemberEvent, observer: String) -> String {
        let wallMs = Date().timeIntervalSince1970 * 1000
        let previous = event.previous.map { "\"\($0)\"" } ?? "null"
        let evidence = event.evidence.description.replacingOccurrences(of: "\"", with: "'")
        return "{\"observer\":\"\(observer)\",\"member\":\"\(event.member.name)\",\"uid\":\(event.member.uid),"
            + "\"incarnation\":\(event.incarnation),\"previous\":\(previous),\"status\":\"\(event.status)\","
            + "\"evidence\":\"\(evidence)\",\"wall_ms\":\(String(format: "%.1f", wallMs))}"
    }
}
