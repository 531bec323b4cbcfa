import ActorSystem
import Foundation
import Transport
import ZMQTransport
import ZeroMQ

/// The child side of `brigade bench rpc`: EchoService and IOEchoService on a loopback ZMQTransport, the transport
/// probes, and the raw libzmq ROUTER echo on a thread of its own. Prints
/// `READY <name> <incarnation> <control> <bulk> <raw endpoint>` and exits when its standard input closes. Under
/// CURVE its secret key and the client's `name=public key` come in the environment (not on the command line).
enum RPCBenchServer {
    static let secretVariable = "BRIGADE_BENCH_SERVER_SECRET"
    static let allowVariable = "BRIGADE_BENCH_ALLOW"
    /// Set to 1: keep the transport's I/O threads on one CPU (`IOPlacement.currentCPU`).
    static let oneCPUVariable = "BRIGADE_BENCH_ONE_CPU"
    /// Set to 1: run the transport's I/O threads under SCHED_BATCH (`IOScheduling.batch`).
    static let batchVariable = "BRIGADE_BENCH_BATCH"

    static func run() async throws {
        let node = NodeID(name: "bench-server", incarnation: NodeID.fresh(name: "bench-server").incarnation)
        let environment = ProcessInfo.processInfo.environment
        var security = ZMQTransportConfiguration.Security.insecure
        if let secret = environment[secretVariable], let allow = environment[allowVariable],
            let separator = allow.firstIndex(of: "=")
        {
            let allowed = [String(allow[..<separator]): String(allow[allow.index(after: separator)...])]
            security = .curve(.init(keyPair: try CurveKeyPair(secretKey: secret), allowedPeers: allowed))
        }
        var configuration = ZMQTransportConfiguration(node: node, security: security)
        if environment[oneCPUVariable] == "1" { configuration.ioPlacement = .currentCPU }
        if environment[batchVariable] == "1" { configuration.ioScheduling = .batch }
        let transport = try ZMQTransport(configuration: configuration)
        let system = BrigadeActorSystem(transport: transport)
        let echo = system.makeWellKnown(EchoService.wellKnownName) { EchoService(actorSystem: system) }
        let ioEcho = system.makeWellKnown(IOEchoService.wellKnownName) { IOEchoService(actorSystem: system) }
        TransportProbe.serve(on: transport)
        let rawContext = try ZMQContext(ioThreads: 1)
        let rawEndpoint = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            Thread.detachNewThread {
                var resumed = false
                do {
                    try RawEcho.serve(context: rawContext, endpoint: "tcp://127.0.0.1:0") { endpoint in
                        resumed = true
                        continuation.resume(returning: endpoint)
                    }
                } catch {
                    if !resumed { continuation.resume(throwing: error) }
                }
            }
        }
        let address = transport.localAddress
        print("READY \(node.name) \(node.incarnation) \(address.control) \(address.bulk) \(rawEndpoint)")
        fflush(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                while readLine() != nil {}
                continuation.resume()
            }
        }
        system.shutdown()
        await transport.shutdown()
        rawContext.terminate()
        withExtendedLifetime((echo, ioEcho)) {}
    }
}
