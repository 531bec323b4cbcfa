import ActorSystem
import Distributed
import Transport
import TransportTestKit

/// A Codable error the tests register on the calling side, so it comes back as itself.
struct QuotaError: Error, Codable, Equatable {
    var limit: Int
    var asked: Int
}

/// An error that is not Codable: it comes back as `RemoteCallError`.
struct OpaqueError: Error, CustomStringConvertible {
    var description: String { "opaque failure 42" }
}

/// The actor most tests call.
distributed actor Calculator {
    typealias ActorSystem = BrigadeActorSystem

    private var total = 0
    /// Records the names of calls that started and were cancelled, so tests can wait on them.
    let events: Recorder<String>?

    init(actorSystem: BrigadeActorSystem, events: Recorder<String>? = nil) {
        self.actorSystem = actorSystem
        self.events = events
    }

    distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    distributed func echo(_ text: String, times: Int) -> [String] { Array(repeating: text, count: times) }

    distributed func accumulate(_ value: Int) { total += value }

    distributed func current() -> Int { total }

    distributed func spend(_ asked: Int) throws -> Int {
        guard asked <= 10 else { throw QuotaError(limit: 10, asked: asked) }
        return 10 - asked
    }

    distributed func breakOpaquely() throws { throw OpaqueError() }

    distributed func size(of bytes: [UInt8]) -> Int { bytes.count }

    distributed func optional(_ value: Int?) -> Int? { value.map { $0 * 2 } }

    /// Never returns on its own: waits until cancelled, then records it.
    distributed func hang(_ tag: String) async throws -> Int {
        events?.append("started \(tag)")
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            events?.append("cancelled \(tag)")
            throw error
        }
        return 0
    }
}

/// A different actor type, to call methods a `Calculator` does not have.
distributed actor Stranger {
    typealias ActorSystem = BrigadeActorSystem
    distributed func greet() -> String { "hello" }
}

/// A light actor whose calls run on the transport's I/O thread.
distributed actor Prober: IOThreadActor {
    typealias ActorSystem = BrigadeActorSystem
    let transport: InMemoryTransport

    init(actorSystem: BrigadeActorSystem, transport: InMemoryTransport) {
        self.actorSystem = actorSystem
        self.transport = transport
    }

    distributed func ping() -> Bool { transport.isOnIOThread }
}

/// Two nodes on an in-memory network, each with an actor system; b hosts a well-known Calculator.
struct Cluster {
    let network: InMemoryNetwork
    let a: InMemoryTransport
    let b: InMemoryTransport
    let systemA: BrigadeActorSystem
    let systemB: BrigadeActorSystem
    let calculator: Calculator
    let events = Recorder<String>()

    init(settingsA: ActorSystemSettings = .init(), settingsB: ActorSystemSettings = .init(),
         network: InMemoryNetwork = InMemoryNetwork()) throws {
        self.network = network
        a = try network.makeNode(name: "a")
        b = try network.makeNode(name: "b")
        try a.addPeer(b.localAddress)
        try b.addPeer(a.localAddress)
        systemA = BrigadeActorSystem(transport: a, settings: settingsA)
        systemB = BrigadeActorSystem(transport: b, settings: settingsB)
        let (systemB, events) = (systemB, events)
        calculator = systemB.makeWellKnown("calculator") { Calculator(actorSystem: systemB, events: events) }
    }

    /// The calculator as seen from a, addressed by node name only.
    func remote() throws -> Calculator {
        try Calculator.resolve(id: .wellKnown("calculator", onNode: "b"), using: systemA)
    }

    func shutdown() async {
        systemA.shutdown()
        systemB.shutdown()
        await a.shutdown()
        await b.shutdown()
    }
}

/// The `ActorSystemError` code of `error`, if it is one.
func code(of error: (any Error)?) -> ActorSystemError.Code? {
    (error as? ActorSystemError)?.code
}
