import Distributed
import Testing
import Transport
import TransportTestKit
@testable import ActorSystem

@Suite struct ActorFailureTests {
    /// Starts `count` hanging calls and waits until the callee runs them all.
    func hang(_ cluster: Cluster, _ count: Int, from tag: String = "h") async throws -> [Task<Int, any Error>] {
        let calculator = try cluster.remote()
        let tasks = (0..<count).map { i in Task { try await calculator.hang("\(tag)\(i)") } }
        let started = cluster.events.values.filter { $0.hasPrefix("started") }.count
        try await cluster.events.wait(for: started + count)
        return tasks
    }

    @Test func declaringAPeerDeadFailsEveryPendingCallAtOnce() async throws {
        let cluster = try Cluster()
        let tasks = try await hang(cluster, 5)
        let start = ContinuousClock.now
        #expect(cluster.systemA.peerTerminated(cluster.b.localNode) == 5)
        for task in tasks {
            let error = await #expect(throws: ActorSystemError.self) { try await task.value }
            #expect(error?.code == .peerTerminated)
        }
        #expect(ContinuousClock.now - start < .milliseconds(500))
        // New calls to the dead incarnation fail without being sent.
        let sent = cluster.a.statistics.messagesSent
        let fresh = await #expect(throws: ActorSystemError.self) { try await cluster.remote().add(1, 2) }
        #expect(fresh?.code == .peerTerminated)
        #expect(cluster.a.statistics.messagesSent == sent)
        #expect(cluster.systemA.statistics.failed(.peerTerminated) == 6)
        await cluster.shutdown()
    }

    @Test func aCrashedPeerFailsPendingCallsAfterTheDisconnectGrace() async throws {
        var settings = ActorSystemSettings()
        settings.disconnectGrace = .milliseconds(100)
        let cluster = try Cluster(settingsA: settings)
        let tasks = try await hang(cluster, 3)
        let start = ContinuousClock.now
        cluster.network.crash("b")
        for task in tasks {
            let error = await #expect(throws: ActorSystemError.self) { try await task.value }
            #expect(error?.code == .peerUnreachable)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(100) && elapsed < .milliseconds(1000), "failed after \(elapsed)")
        await cluster.shutdown()
    }

    @Test func aRestartedPeerGetsNoStaleCallsAndOldCallsFail() async throws {
        var settings = ActorSystemSettings()
        settings.disconnectGrace = .seconds(30)  // only the restart may fail the calls here
        let cluster = try Cluster(settingsA: settings)
        let oldID = cluster.calculator.id
        let tasks = try await hang(cluster, 2)
        cluster.network.crash("b")
        let b2 = try cluster.network.makeNode(name: "b")
        try b2.addPeer(cluster.a.localAddress)
        let system2 = BrigadeActorSystem(transport: b2)
        let events2 = Recorder<String>()
        let calculator2 = system2.makeWellKnown("calculator") { Calculator(actorSystem: system2, events: events2) }
        // The new incarnation calls a: a learns of the restart and fails what was pending on the old one.
        let a = try Calculator.resolve(id: .wellKnown("calculator", onNode: "a"), using: system2)
        _ = await #expect(throws: ActorSystemError.self) { try await a.add(0, 0) }  // no calculator on a
        for task in tasks {
            let error = await #expect(throws: ActorSystemError.self) { try await task.value }
            #expect(error?.code == .peerTerminated)
        }
        // Calls by name reach the new incarnation; calls to the old incarnation's id fail without reaching it.
        #expect(try await cluster.remote().add(20, 22) == 42)
        let stale = try Calculator.resolve(id: oldID, using: cluster.systemA)
        let error = await #expect(throws: ActorSystemError.self) { try await stale.hang("stale") }
        #expect(error?.code == .peerTerminated)
        #expect(events2.values.isEmpty)
        #expect(b2.statistics.dropped(.wrongTarget) == 0)
        _ = calculator2
        system2.shutdown()
        await cluster.shutdown()
    }

    @Test func tooManyPendingCallsOverloadAfterWaitingUntilTheDeadline() async throws {
        var settings = ActorSystemSettings()
        settings.maxPendingCalls = 2
        let cluster = try Cluster(settingsA: settings)
        let tasks = try await hang(cluster, 2)
        let start = ContinuousClock.now
        let error = await #expect(throws: ActorSystemError.self) {
            try await BrigadeActorSystem.withCallTimeout(.milliseconds(100)) { try await cluster.remote().add(1, 1) }
        }
        #expect(error?.code == .overloaded)
        #expect(ContinuousClock.now - start >= .milliseconds(90))
        // A waiting call proceeds as soon as a slot frees.
        let waiting = Task { try await cluster.remote().add(2, 2) }
        tasks[0].cancel()
        #expect(try await waiting.value == 4)
        tasks[1].cancel()
        await cluster.shutdown()
    }

    @Test func aBusyCalleeRefusesCallsBeyondItsBound() async throws {
        var settings = ActorSystemSettings()
        settings.maxInboundCalls = 2
        let cluster = try Cluster(settingsB: settings)
        let tasks = try await hang(cluster, 2)
        let error = await #expect(throws: ActorSystemError.self) { try await cluster.remote().add(1, 1) }
        #expect(error?.code == .overloaded)
        #expect(error?.message.contains("b#") == true)
        #expect(cluster.systemB.statistics.callsRejected == 1)
        for task in tasks { task.cancel() }
        await cluster.shutdown()
    }

    @Test func cancellingTheCallerCancelsTheCallee() async throws {
        let cluster = try Cluster()
        let tasks = try await hang(cluster, 1, from: "c")
        tasks[0].cancel()
        let error = await #expect(throws: ActorSystemError.self) { try await tasks[0].value }
        #expect(error?.code == .cancelled)
        let events = try await cluster.events.wait(for: 2)
        #expect(events.contains("cancelled c0"))
        #expect(cluster.systemA.statistics.cancelsSent == 1)
        await cluster.shutdown()
    }

    @Test func aPassedDeadlineFailsTheCallAndCancelsTheCallee() async throws {
        let cluster = try Cluster()
        let calculator = try cluster.remote()
        let start = ContinuousClock.now
        let error = await #expect(throws: ActorSystemError.self) {
            try await BrigadeActorSystem.withCallTimeout(.milliseconds(50)) { try await calculator.hang("d") }
        }
        #expect(error?.code == .deadlineExceeded)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(45) && elapsed < .seconds(2))
        let events = try await cluster.events.wait(for: 2)
        #expect(events == ["started d", "cancelled d"])
        await cluster.shutdown()
    }

    @Test func malformedEnvelopesAreCountedAndAnswered() async throws {
        let cluster = try Cluster()
        // Capture a real call on a spy node that has no actor system, to learn a method identifier.
        let spy = try cluster.network.makeNode(name: "spy")
        try cluster.a.addPeer(spy.localAddress)
        try spy.addPeer(cluster.b.localAddress)
        try cluster.b.addPeer(spy.localAddress)
        let captured = Recorder<InboundMessage>()
        spy.setHandler(for: .call) { captured.append($0) }
        let replies = Recorder<InboundMessage>()
        spy.setHandler(for: .failure) { replies.append($0) }
        let viaSpy = try Calculator.resolve(id: .wellKnown("calculator", onNode: "spy"), using: cluster.systemA)
        let pending = Task { try await BrigadeActorSystem.withCallTimeout(.milliseconds(200)) { try await viaSpy.add(1, 2) } }
        let call = try await captured.wait(for: 1)[0]
        let (head, _) = try call.frames[0].withUnsafeBytes { try CallHead.parse($0) }
        _ = try? await pending.value

        func send(_ frames: [Buffer], id: UInt64) throws {
            let header = FrameHeader(kind: .call, callID: id, sender: spy.localNode, deadline: .after(.seconds(5)))
            try spy.trySend(Message(header: header, frames: frames), to: "b", lane: .control)
        }
        // 1: garbage frame; 2: two frames; 3: the right method with a String where Ints belong; 4: too few arguments.
        try send([Buffer([1, 2, 3, 4, 5])], id: 1)
        try send([Buffer([0]), Buffer([0])], id: 2)
        var writer = ByteWriter()
        writer.writeString("not an int")
        CallHead(path: .named("calculator"), target: head.target, genericCount: 0, argumentCount: 2).append(to: &writer)
        try send([writer.take()], id: 3)
        var short = ByteWriter()
        short.writeZigzag(1)
        CallHead(path: .named("calculator"), target: head.target, genericCount: 0, argumentCount: 1).append(to: &short)
        try send([short.take()], id: 4)
        let answers = try await replies.wait(for: 4).sorted { $0.header.callID < $1.header.callID }
        let codes = try answers.map { answer -> ActorSystemError.Code? in
            guard case .refused(let code, _) = try answer.frames[0].withUnsafeBytes({ try CallFailure.parse($0) }) else { return nil }
            return code
        }
        #expect(codes == [.malformedMessage, .malformedMessage, .invalidArguments, .invalidArguments])
        #expect(cluster.systemB.statistics.malformedMessages == 2)
        // b is still serving.
        #expect(try await cluster.remote().add(2, 2) == 4)
        await cluster.shutdown()
    }

    @Test func shutdownFailsPendingCallsAndRefusesNewOnes() async throws {
        let cluster = try Cluster()
        let tasks = try await hang(cluster, 2)
        cluster.systemA.shutdown()
        for task in tasks {
            let error = await #expect(throws: ActorSystemError.self) { try await task.value }
            #expect(error?.code == .shutdown)
        }
        let error = await #expect(throws: ActorSystemError.self) { try await cluster.remote().add(1, 1) }
        #expect(error?.code == .shutdown)
        await cluster.shutdown()
    }
}

@Suite struct ActorBackpressureTests {
    @Test func callsWaitingForAFullQueueAreBoundedInBytes() async throws {
        var settings = ActorSystemSettings()
        settings.maxWaitingBytes = 250_000
        settings.defaultCallTimeout = .seconds(30)
        let cluster = try Cluster(settingsA: settings, network: InMemoryNetwork(settings: .init(queueCapacity: 2)))
        let calculator = try cluster.remote()
        cluster.network.setPaused("b", true)
        let payload = [UInt8](repeating: 1, count: 100_000)
        // 2 fill the link, 2 wait for it (200 kB ≤ 250 kB), the other 4 fail at once instead of holding memory.
        let start = ContinuousClock.now
        let outcomes = Recorder<String>()
        for _ in 0..<8 {
            Task {
                do {
                    outcomes.append("ok \(try await calculator.size(of: payload))")
                } catch let error as ActorSystemError where error.code == .overloaded && error.message.contains("already wait") {
                    outcomes.append("refused")
                } catch {
                    outcomes.append("\(error)")
                }
            }
        }
        #expect(try await outcomes.wait(for: 4) == Array(repeating: "refused", count: 4))
        #expect(ContinuousClock.now - start < .seconds(5))
        cluster.network.setPaused("b", false)
        #expect(try await outcomes.wait(for: 8).suffix(4) == Array(repeating: "ok 100000", count: 4))
        await cluster.shutdown()
    }
}
