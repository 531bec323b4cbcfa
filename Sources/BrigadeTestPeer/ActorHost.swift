import ActorSystem
import ArgumentParser
import Foundation
import Transport
import ZMQTransport

/// `brigade-test-peer actor-host`: a node hosting the well-known `EchoService` and `IOEchoService` over a
/// loopback ZMQTransport, for the actor system's multi-process tests.
///
/// Prints one line, `READY <name> <incarnation> <control endpoint> <bulk endpoint>`, once it serves; exits when its
/// standard input closes (or when killed).
struct ActorHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor-host",
        abstract: "Host EchoService on a loopback ZMQTransport until stdin closes."
    )

    @Option(help: "The node name.")
    var name = "host"

    @Option(help: "Most inbound calls run at once.")
    var maxInbound = 10_000

    mutating func run() async throws {
        let node = NodeID.fresh(name: name)
        let transport = try ZMQTransport(configuration: ZMQTransportConfiguration(node: node, security: .insecure))
        var settings = ActorSystemSettings()
        settings.maxInboundCalls = maxInbound
        let system = BrigadeActorSystem(transport: transport, settings: settings)
        let echo = system.makeWellKnown(EchoService.wellKnownName) { EchoService(actorSystem: system) }
        let ioEcho = system.makeWellKnown(IOEchoService.wellKnownName) { IOEchoService(actorSystem: system) }
        let address = transport.localAddress
        print("READY \(node.name) \(node.incarnation) \(address.control) \(address.bulk)")
        fflush(nil)
        await waitForEndOfInput()
        system.shutdown()
        await transport.shutdown()
        withExtendedLifetime((echo, ioEcho)) {}
    }
}

/// Suspends until standard input reaches end of file, reading it on a thread of its own (never on the pool).
func waitForEndOfInput() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            while readLine() != nil {}
            continuation.resume()
        }
    }
}
