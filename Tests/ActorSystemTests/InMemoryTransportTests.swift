import Synchronization
import Testing
import Transport
import TransportTestKit

@Suite struct InMemoryTransportTests {
    func message(_ from: InMemoryTransport, kind: MessageKind = .oneway, target: UInt64 = 0,
                 deadline: Deadline = .after(.seconds(10)), _ bytes: [UInt8] = [1, 2, 3]) -> Message {
        Message(header: FrameHeader(kind: kind, sender: from.localNode, targetIncarnation: target, deadline: deadline),
                frames: [Buffer(bytes)])
    }

    func pair(settings: InMemoryNetwork.Settings = .init()) throws -> (InMemoryNetwork, InMemoryTransport, InMemoryTransport) {
        let network = InMemoryNetwork(settings: settings)
        let a = try network.makeNode(name: "a")
        let b = try network.makeNode(name: "b")
        try a.addPeer(b.localAddress)
        try b.addPeer(a.localAddress)
        return (network, a, b)
    }

    @Test func deliversInOrderOnTheReceiversIOThread() async throws {
        let (_, a, b) = try pair()
        let got = Recorder<(UInt8, Bool, NodeID)>()
        b.setHandler(for: .oneway) { inbound in
            got.append((inbound.frames[0].bytes[0], b.isOnIOThread, inbound.sender))
        }
        for i in 0..<100 { try await a.send(message(a, [UInt8(i)]), to: "b", lane: .control) }
        let values = try await got.wait(for: 100)
        #expect(values.map(\.0) == (0..<100).map { UInt8($0) })
        #expect(values.allSatisfy { $0.1 && $0.2 == a.localNode })
        #expect(a.statistics.messagesSent == 100)
        #expect(b.statistics.messagesReceived == 100)
    }

    @Test func dropsWrongTargetExpiredAndStaleMessages() async throws {
        let (network, a, b) = try pair()
        let got = Recorder<UInt8>()
        b.setHandler(for: .oneway) { got.append($0.frames[0].bytes[0]) }
        try a.trySend(message(a, target: b.localNode.incarnation + 7, [1]), to: "b", lane: .control)
        try a.trySend(message(a, deadline: Deadline(nanosecondsSinceEpoch: 1), [2]), to: "b", lane: .control)
        try a.trySend(message(a, target: b.localNode.incarnation, [3]), to: "b", lane: .control)
        #expect(try await got.wait(for: 1) == [3])
        b.observe(NodeID(name: "a", incarnation: a.localNode.incarnation + 1))
        try a.trySend(message(a, [4]), to: "b", lane: .control)
        b.observe(NodeID(name: "a", incarnation: 1))  // observing an older incarnation changes nothing
        try a.trySend(message(a, [5]), to: "b", lane: .control)
        // Deliveries to b run in order on b's thread, so a marker from another node arrives after a's drops.
        let c = try network.makeNode(name: "c")
        try c.addPeer(b.localAddress)
        try c.trySend(message(c, [6]), to: "b", lane: .control)
        #expect(try await got.wait(for: 2) == [3, 6])
        let stats = b.statistics
        #expect(stats.dropped(.wrongTarget) == 1)
        #expect(stats.dropped(.expired) == 1)
        #expect(stats.dropped(.staleIncarnation) == 2)
        #expect(stats.dropped(.noHandler) == 0)
    }

    @Test func errorsNameWhatWasWrong() async throws {
        let (_, a, _) = try pair(settings: .init(maxControlMessageSize: 1000))
        #expect(throws: TransportError(.unknownPeer, "no peer named 'zed'")) {
            try a.trySend(message(a), to: "zed", lane: .control)
        }
        let error = #expect(throws: TransportError.self) {
            try a.trySend(message(a, [UInt8](repeating: 0, count: 2000)), to: "b", lane: .control)
        }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.message.contains("'b'") == true)
        #expect(throws: TransportError.self) { try a.addPeer(PeerAddress(name: "x", control: "tcp://1", bulk: "tcp://2")) }
        await a.shutdown()
        let stopped = #expect(throws: TransportError.self) { try a.trySend(message(a), to: "b", lane: .control) }
        #expect(stopped?.code == .shutdown)
    }

    @Test func fullQueueOverloadsUntilTheReceiverDrains() async throws {
        let (network, a, b) = try pair(settings: .init(queueCapacity: 4))
        let got = Recorder<UInt8>()
        b.setHandler(for: .oneway) { got.append($0.frames[0].bytes[0]) }
        network.setPaused("b", true)
        for i in 0..<4 { try a.trySend(message(a, [UInt8(i)]), to: "b", lane: .control) }
        let full = #expect(throws: TransportError.self) { try a.trySend(message(a, [9]), to: "b", lane: .control) }
        #expect(full?.code == .overloaded)
        let waited = await #expect(throws: TransportError.self) {
            try await a.send(message(a, deadline: .after(.milliseconds(50)), [9]), to: "b", lane: .control)
        }
        #expect(waited?.code == .overloaded)
        // The bulk lane is a separate queue.
        b.setHandler(for: .data) { got.append($0.frames[0].bytes[0]) }
        try a.trySend(message(a, kind: .data, [7]), to: "b", lane: .bulk)
        // A waiting sender goes through once the receiver drains.
        async let late: Void = a.send(message(a, [4]), to: "b", lane: .control)
        network.setPaused("b", false)
        try await late
        let values = try await got.wait(for: 6)
        #expect(values.filter { $0 != 7 } == [0, 1, 2, 3, 4])
    }

    @Test func crashAndRestartGiveEventsAndANewIncarnation() async throws {
        let (network, a, b) = try pair()
        let events = Recorder<TransportEvent>()
        a.setEventHandler { events.append($0) }
        let got = Recorder<NodeID>()
        a.setHandler(for: .oneway) { got.append($0.sender) }
        try b.trySend(message(b), to: "a", lane: .control)
        try await got.wait(for: 1)
        network.crash("b")
        #expect(!b.isRunning)
        #expect(throws: TransportError.self) { try b.trySend(message(b), to: "a", lane: .control) }
        try await events.wait(for: 2)
        let b2 = try network.makeNode(name: "b")
        #expect(b2.localNode.incarnation > b.localNode.incarnation)
        try b2.addPeer(a.localAddress)
        try b2.trySend(message(b2), to: "a", lane: .control)
        let senders = try await got.wait(for: 2)
        #expect(senders == [b.localNode, b2.localNode])
        let seen = try await events.wait(for: 5)
        #expect(seen.contains(.disconnected(peer: "b", lane: .control)))
        #expect(seen.contains(.connected(peer: "b", lane: .control)))
        #expect(seen.contains(.peerRestarted(old: b.localNode, new: b2.localNode)))
        #expect(throws: TransportError.self) { try network.makeNode(name: "b") }
    }

    @Test func crashedNodesQueuedMessagesVanish() async throws {
        let (network, a, b) = try pair(settings: .init(queueCapacity: 8))
        let got = Recorder<UInt8>()
        b.setHandler(for: .oneway) { got.append($0.frames[0].bytes[0]) }
        network.setPaused("b", true)
        for i in 0..<8 { try a.trySend(message(a, [UInt8(i)]), to: "b", lane: .control) }
        network.crash("b")
        let b2 = try network.makeNode(name: "b")
        b2.setHandler(for: .oneway) { got.append($0.frames[0].bytes[0]) }
        // The link drained (slots released), so sending 8 more to the new incarnation does not overload.
        for i in 10..<18 { try await a.send(message(a, [UInt8(i)]), to: "b", lane: .control) }
        let values = try await got.wait(for: 8)
        #expect(values == (10..<18).map { UInt8($0) })
    }

    @Test func faultInjectorPartitionsAndDelays() async throws {
        let (_, a, b) = try pair()
        let got = Recorder<UInt8>()
        b.setHandler(for: .oneway) { got.append($0.frames[0].bytes[0]) }
        a.faults.set(.partition, peer: "b", direction: .outbound)
        try a.trySend(message(a, [1]), to: "b", lane: .control)
        a.faults.clearAll()
        b.faults.set(.init(dropProbability: 1, lanes: [.control]), peer: "a", direction: .inbound)
        try a.trySend(message(a, [2]), to: "b", lane: .control)
        b.setHandler(for: .data) { got.append($0.frames[0].bytes[0]) }
        try a.trySend(message(a, kind: .data, [3]), to: "b", lane: .bulk)  // not partitioned; arrives after [2]
        #expect(try await got.wait(for: 1) == [3])
        b.faults.clearAll()
        a.faults.set(.init(delaySeconds: 0.05...0.05), peer: "b")
        let start = ContinuousClock.now
        try a.trySend(message(a, [4]), to: "b", lane: .control)
        #expect(try await got.wait(for: 2) == [3, 4])
        #expect(ContinuousClock.now - start >= .milliseconds(45))
        #expect(a.statistics.dropped(.injectedFault) == 1)
        #expect(b.statistics.dropped(.injectedFault) == 1)
    }

    @Test func tasksPreferringTheIOExecutorRunOnTheIOThread() async throws {
        let (_, a, _) = try pair()
        let onThread = await withTaskExecutorPreference(a.ioExecutor) { a.isOnIOThread }
        #expect(onThread)
        #expect(!a.isOnIOThread)
    }
}
