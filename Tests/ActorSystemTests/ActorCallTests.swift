import Distributed
import Synchronization
import Testing
import Transport
import TransportTestKit
@testable import ActorSystem

@Suite struct ActorCallTests {
    @Test func roundTripsValuesStateAndWellKnownNames() async throws {
        let cluster = try Cluster()
        let calculator = try cluster.remote()
        #expect(calculator.id.node.incarnation == 0)
        #expect(try await calculator.add(2, 3) == 5)
        #expect(try await calculator.echo("héllo", times: 3) == ["héllo", "héllo", "héllo"])
        #expect(try await calculator.optional(nil) == nil)
        #expect(try await calculator.optional(21) == 42)
        for value in 1...3 { try await calculator.accumulate(value) }
        #expect(try await calculator.current() == 6)
        // Local resolution gives the actor itself, not a proxy.
        let local = try Calculator.resolve(id: cluster.calculator.id, using: cluster.systemB)
        #expect(local === cluster.calculator)
        let stats = cluster.systemA.statistics
        #expect(stats.callsSent == 8 && stats.callsSucceeded == 8 && stats.totalFailed == 0)
        #expect(cluster.systemB.statistics.callsReceived == 8)
        // Each method's signature was read once, on its first call, whatever its result type (Int, [String],
        // Int?, Void): five methods, five entries.
        #expect(cluster.systemB.targets.count == 5)
        await cluster.shutdown()
    }

    @Test func numberedActorsAreReachableByTheirID() async throws {
        let cluster = try Cluster()
        let stranger = Stranger(actorSystem: cluster.systemB)
        guard case .numbered = stranger.id.path else { Issue.record("expected a numbered id, got \(stranger.id)"); return }
        let remote = try Stranger.resolve(id: stranger.id, using: cluster.systemA)
        #expect(try await remote.greet() == "hello")
        await cluster.shutdown()
    }

    @Test func thrownErrorsComeBackAsThemselvesOrAsRemoteCallError() async throws {
        let cluster = try Cluster()
        let calculator = try cluster.remote()
        #expect(try await calculator.spend(4) == 6)
        // Not registered yet: a generic remote error naming the type.
        let generic = await #expect(throws: RemoteCallError.self) { try await calculator.spend(11) }
        #expect(generic?.typeName.hasSuffix("QuotaError") == true)
        cluster.systemA.registerErrorType(QuotaError.self)
        await #expect(throws: QuotaError(limit: 10, asked: 11)) { try await calculator.spend(11) }
        let opaque = await #expect(throws: RemoteCallError.self) { try await calculator.breakOpaquely() }
        #expect(opaque?.message == "opaque failure 42")
        #expect(cluster.systemA.statistics.callsFailed["remoteError"] == 3)
        await cluster.shutdown()
    }

    @Test func unknownActorAndUnknownMethodAreClearErrors() async throws {
        let cluster = try Cluster()
        let ghost = try Calculator.resolve(id: .wellKnown("ghost", onNode: "b"), using: cluster.systemA)
        let unknownActor = await #expect(throws: ActorSystemError.self) { try await ghost.add(1, 1) }
        #expect(unknownActor?.code == .unknownActor)
        #expect(unknownActor?.message.contains("ghost") == true)
        // A Stranger reference to the calculator's id: the calculator has no `greet`.
        let wrongType = try Stranger.resolve(id: .wellKnown("calculator", onNode: "b"), using: cluster.systemA)
        let unknownMethod = await #expect(throws: ActorSystemError.self) { try await wrongType.greet() }
        #expect(unknownMethod?.code == .unknownMethod)
        #expect(unknownMethod?.message.contains("Calculator") == true)
        // Resolving a local id that does not exist throws.
        #expect(throws: ActorSystemError.self) { try Calculator.resolve(id: .wellKnown("ghost", onNode: "b"), using: cluster.systemB) }
        await cluster.shutdown()
    }

    @Test func oversizeArgumentsAreRejectedBeforeSending() async throws {
        var settings = ActorSystemSettings()
        settings.maxMessageSize = 64 << 10
        let cluster = try Cluster(settingsA: settings)
        let calculator = try cluster.remote()
        #expect(try await calculator.size(of: [UInt8](repeating: 1, count: 60_000)) == 60_000)
        let error = await #expect(throws: ActorSystemError.self) {
            try await calculator.size(of: [UInt8](repeating: 1, count: 100_000))
        }
        #expect(error?.code == .messageTooLarge)
        #expect(cluster.a.statistics.messagesSent == 1)
        await cluster.shutdown()
    }

    @Test func ioThreadActorsRunOnTheTransportsIOThread() async throws {
        let cluster = try Cluster()
        let transport = cluster.b
        let prober = cluster.systemB.makeWellKnown("prober") { Prober(actorSystem: cluster.systemB, transport: transport) }
        let remote = try Prober.resolve(id: .wellKnown("prober", onNode: "b"), using: cluster.systemA)
        #expect(try await remote.ping())
        #expect(try await cluster.remote().add(1, 1) == 2)
        _ = prober
        await cluster.shutdown()
    }

    @Test func aThousandConcurrentCallsFromManyTasks() async throws {
        let cluster = try Cluster()
        let calculator = try cluster.remote()
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<50 {
                group.addTask {
                    var sum = 0
                    for i in 0..<20 { sum += try await calculator.add(task, i) }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sums == (0..<50).reduce(0) { $0 + 20 * $1 } + 50 * 190)
        #expect(cluster.systemA.statistics.callsSucceeded == 1000)
        await cluster.shutdown()
    }
}
