import Distributed
import Transport

/// A minimal distributed service for benchmarks, smoke tests and health checks: it echoes values, counts payload
/// bytes, holds calls until they are cancelled, and reports its node's counters. Its inbound calls run on the global
/// pool; `IOEchoService` is the same service on the transport's I/O thread.
///
/// Host it as a well-known actor so peers can reach it knowing only the node's name:
/// ```swift
/// let echo = system.makeWellKnown(EchoService.wellKnownName) { EchoService(actorSystem: system) }
/// ```
public distributed actor EchoService {
    public typealias ActorSystem = BrigadeActorSystem

    /// The name `brigade bench rpc` and the multi-process tests look for.
    public static let wellKnownName = "echo"

    public init(actorSystem: BrigadeActorSystem) {
        self.actorSystem = actorSystem
    }

    /// Returns `value`.
    public distributed func echo(_ value: Int) -> Int { value }

    /// Returns the number of bytes received.
    public distributed func consume(_ bytes: [UInt8]) -> Int { bytes.count }

    /// Does not return until the call is cancelled (by its caller, its deadline, or a shutdown); then throws.
    public distributed func hold(_ tag: String) async throws -> Int {
        try await Task.sleep(for: .seconds(86_400))
        return 0
    }

    /// This node's identity and counters.
    public distributed func report() -> NodeReport {
        NodeReport(node: actorSystem.localNode, transport: actorSystem.transport.statistics, calls: actorSystem.statistics)
    }
}

/// `EchoService` whose calls run on the transport's I/O thread (no thread hop before the reply).
public distributed actor IOEchoService: IOThreadActor {
    public typealias ActorSystem = BrigadeActorSystem

    /// The name it is hosted under.
    public static let wellKnownName = "io-echo"

    public init(actorSystem: BrigadeActorSystem) {
        self.actorSystem = actorSystem
    }

    /// Returns `value`.
    public distributed func echo(_ value: Int) -> Int { value }

    /// Returns the number of bytes received.
    public distributed func consume(_ bytes: [UInt8]) -> Int { bytes.count }
}

/// What a node reports about itself (`EchoService.report`).
public struct NodeReport: Codable, Sendable {
    /// The reporting node.
    public var node: NodeID
    /// Its transport's counters.
    public var transport: TransportStatistics
    /// Its actor system's counters.
    public var calls: ActorSystemStatistics
}
