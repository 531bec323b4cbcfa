import Testing
import Transport
import ZMQTransport
import ZeroMQ

/// The header rules: what a receiver refuses to deliver, and counts.
@Suite("ZMQTransport: drop rules")
struct TransportDropRulesTests {
    /// Two connected transports; `b` records what it delivers and what it drops.
    private func pair(_ drops: Collector<DropReport> = Collector()) async throws -> (ZMQTransport, ZMQTransport, Collector<InboundMessage>) {
        let a = try Fixtures.insecure("a")
        let b = try Fixtures.insecure("b") { $0.onDrop = { drops.append($0) } }
        let delivered = Collector<InboundMessage>()
        b.setHandler(for: .oneway) { delivered.append($0) }
        try a.addPeer(b.localAddress)
        // Once a first message is through, the link is up and later sends go straight to the socket.
        try await a.send(Fixtures.message(.oneway, Array("up".utf8), from: a.localNode), to: "b", lane: .control)
        _ = await delivered.wait(forCount: 1)
        return (a, b, delivered)
    }

    /// Sends `message`, then a marker that must be delivered, so the test knows `message` was processed.
    private func sendThenMark(_ message: Message, _ a: ZMQTransport, _ delivered: Collector<InboundMessage>) async throws {
        let before = delivered.count
        try await a.send(message, to: "b", lane: .control)
        try await a.send(Fixtures.message(.oneway, Array("mark".utf8), from: a.localNode), to: "b", lane: .control)
        _ = await delivered.wait { $0.count > before && $0.last?.frames.first?.bytes == Array("mark".utf8) }
    }

    @Test("messages past their deadline, for another incarnation, or without a handler are dropped and counted")
    func headerRules() async throws {
        let (a, b, delivered) = try await pair()
        try await sendThenMark(Fixtures.message(.oneway, [1], from: a.localNode, deadline: Deadline(nanosecondsSinceEpoch: 1)), a, delivered)
        #expect(b.statistics.dropped(.expired) == 1)
        try await sendThenMark(Fixtures.message(.oneway, [2], from: a.localNode, target: b.localNode.incarnation + 1), a, delivered)
        #expect(b.statistics.dropped(.wrongTarget) == 1)
        try await sendThenMark(Fixtures.message(.membership, [3], from: a.localNode), a, delivered)
        #expect(b.statistics.dropped(.noHandler) == 1)
        try await sendThenMark(Fixtures.message(.oneway, [4], from: a.localNode, target: b.localNode.incarnation), a, delivered)
        let mark = Array("mark".utf8)
        #expect(delivered.values.map { $0.frames[0].bytes } == [Array("up".utf8), mark, mark, mark, [4], mark])
        await a.shutdown()
        await b.shutdown()
    }

    @Test("after observe(newer incarnation), messages from the older one are dropped as stale")
    func staleIncarnation() async throws {
        let drops = Collector<DropReport>()
        let (a, b, delivered) = try await pair(drops)
        try await sendThenMark(Fixtures.message(.oneway, [1], from: a.localNode), a, delivered)
        b.observe(NodeID(name: "a", incarnation: a.localNode.incarnation + 1))
        try await a.send(Fixtures.message(.oneway, [2], from: a.localNode), to: "b", lane: .control)
        #expect(await drops.wait { $0.contains { $0.reason == .staleIncarnation } })
        #expect(drops.values.first?.detail.contains("\(a.localNode)") == true)
        #expect(b.statistics.dropped(.staleIncarnation) == 1)
        #expect(delivered.values.allSatisfy { $0.frames[0].bytes != [2] })
        await a.shutdown()
        await b.shutdown()
    }

    @Test("a newer incarnation of a peer is reported once as a restart, and the old one is then stale")
    func restartDetected() async throws {
        let drops = Collector<DropReport>()
        let b = try Fixtures.insecure("b") { $0.onDrop = { drops.append($0) } }
        let events = Collector<TransportEvent>()
        b.setEventHandler { events.append($0) }
        let delivered = Collector<InboundMessage>()
        b.setHandler(for: .oneway) { delivered.append($0) }
        let first = try Fixtures.insecure("a")
        try first.addPeer(b.localAddress)
        try await first.send(Fixtures.message(.oneway, [1], from: first.localNode), to: "b", lane: .control)
        #expect(await delivered.wait(forCount: 1))
        await first.shutdown()
        // The same name restarts with a newer incarnation (and new ports).
        let second = try Fixtures.insecure("a") { $0.node = NodeID(name: "a", incarnation: first.localNode.incarnation + 10) }
        try second.addPeer(b.localAddress)
        try await second.send(Fixtures.message(.oneway, [2], from: second.localNode), to: "b", lane: .control)
        #expect(await delivered.wait(forCount: 2))
        #expect(await events.wait { $0.contains(.peerRestarted(old: first.localNode, new: second.localNode)) })
        // A straggler from the old incarnation (a transport still claiming it) is dropped.
        let ghost = try Fixtures.insecure("a") { $0.node = first.localNode }
        try ghost.addPeer(b.localAddress)
        try await ghost.send(Fixtures.message(.oneway, [3], from: ghost.localNode), to: "b", lane: .control)
        #expect(await drops.wait { $0.contains { $0.reason == .staleIncarnation } })
        #expect(delivered.values.map { $0.frames[0].bytes } == [[1], [2]])
        await ghost.shutdown()
        await second.shutdown()
        await b.shutdown()
    }

    @Test("fault injection drops outbound messages on a partitioned link and delays inbound ones")
    func faultInjection() async throws {
        let (a, b, delivered) = try await pair()
        a.faults.set(.partition, peer: "b", direction: .outbound)
        try await a.send(Fixtures.message(.oneway, [1], from: a.localNode), to: "b", lane: .control)
        #expect(a.statistics.dropped(.injectedFault) == 1)
        a.faults.clearAll()
        b.faults.set(.init(delaySeconds: 0.2...0.2), peer: "a", direction: .inbound)
        let start = ContinuousClock.now
        try await a.send(Fixtures.message(.oneway, [2], from: a.localNode), to: "b", lane: .control)
        #expect(await delivered.wait(forCount: 2))
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(delivered.values.map { $0.frames[0].bytes } == [Array("up".utf8), [2]])
        await a.shutdown()
        await b.shutdown()
    }
}
