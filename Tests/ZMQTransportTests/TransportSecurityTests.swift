import Testing
import Transport
import ZMQTransport
import ZeroMQ

/// CURVE with the ZAP handler: only listed keys get in, and a key can only speak for its own node name.
@Suite("ZMQTransport: CURVE security")
struct TransportSecurityTests {
    let keysA: CurveKeyPair
    let keysB: CurveKeyPair
    let keysC: CurveKeyPair

    init() throws {
        keysA = try CurveKeyPair.generate()
        keysB = try CurveKeyPair.generate()
        keysC = try CurveKeyPair.generate()
    }

    /// `a`, which admits `allowed`, with collectors for its deliveries, events and drops.
    private func server(allowed: [String: String]) throws -> (ZMQTransport, Collector<InboundMessage>, Collector<TransportEvent>, Collector<DropReport>) {
        let delivered = Collector<InboundMessage>(), events = Collector<TransportEvent>(), drops = Collector<DropReport>()
        let a = try Fixtures.secure("a", keys: keysA, allowed: allowed) { $0.onDrop = { drops.append($0) } }
        a.setEventHandler { events.append($0) }
        for kind in [MessageKind.oneway, .hello, .call] { a.setHandler(for: kind) { delivered.append($0) } }
        return (a, delivered, events, drops)
    }

    @Test("an unknown key is refused by the ZAP handler: handshake-failed events on both sides, nothing delivered")
    func unknownKey() async throws {
        let (a, delivered, events, _) = try server(allowed: ["b": keysB.publicKey])
        let rogueEvents = Collector<TransportEvent>()
        let rogue = try Fixtures.secure("c", keys: keysC, allowed: ["a": keysA.publicKey])
        rogue.setEventHandler { rogueEvents.append($0) }
        try rogue.addPeer(a.localAddress)
        try rogue.trySend(Fixtures.message(.oneway, [1], from: rogue.localNode), to: "a", lane: .control)
        #expect(await events.wait { $0.contains { if case .rejected(let endpoint, let reason) = $0 { endpoint.contains("control inbox") && reason.contains("authentication") } else { false } } })
        #expect(await rogueEvents.wait { $0.contains { if case .rejected(_, let reason) = $0 { reason.contains("status 400") } else { false } } })
        #expect(a.securityDenials >= 1)
        #expect(delivered.count == 0)
        #expect(a.statistics.messagesReceived == 0)
        #expect(rogue.queueDepth(to: "a", lane: .control)?.messages == 2, "the hello and the message are still waiting")
        await rogue.shutdown()
        await a.shutdown()
    }

    @Test("a valid key claiming another node's name is dropped as forged")
    func forgedName() async throws {
        let (a, delivered, _, drops) = try server(allowed: ["b": keysB.publicKey, "c": keysC.publicKey])
        // Holds b's key but calls itself c.
        let forger = try Fixtures.secure("c", keys: keysB, allowed: ["a": keysA.publicKey])
        try forger.addPeer(a.localAddress)
        try forger.trySend(Fixtures.message(.oneway, [1], from: forger.localNode), to: "a", lane: .control)
        #expect(await drops.wait { $0.filter { $0.reason == .forgedSender }.count >= 2 })
        let report = try #require(drops.values.first { $0.reason == .forgedSender })
        #expect(report.detail.contains("'c'") && report.detail.contains("'b'"))
        #expect(delivered.count == 0)
        #expect(a.queueDepth(to: "c", lane: .control) == nil, "the forged hello added no peer")
        await forger.shutdown()
        await a.shutdown()
    }

    @Test("an insecure client cannot talk to a CURVE node")
    func insecureClientRefused() async throws {
        let (a, delivered, events, _) = try server(allowed: ["b": keysB.publicKey])
        let plain = try Fixtures.insecure("b")
        try plain.addPeer(PeerAddress(name: "a", control: a.localAddress.control, bulk: a.localAddress.bulk))
        try plain.trySend(Fixtures.message(.oneway, [1], from: plain.localNode), to: "a", lane: .control)
        #expect(await events.wait { $0.contains { if case .rejected = $0 { true } else { false } } })
        #expect(delivered.count == 0)
        await plain.shutdown()
        await a.shutdown()
    }

    @Test("a CURVE node only adds peers whose name and key it allows; allowPeer extends the list")
    func allowedPeers() async throws {
        let (a, _, _, _) = try server(allowed: ["b": keysB.publicKey])
        let stranger = #expect(throws: TransportError.self) {
            try a.addPeer(PeerAddress(name: "c", control: "tcp://127.0.0.1:1", bulk: "tcp://127.0.0.1:1", publicKey: keysC.publicKey))
        }
        #expect(stranger?.code == .securityRejected)
        let wrongKey = #expect(throws: TransportError.self) {
            try a.addPeer(PeerAddress(name: "b", control: "tcp://127.0.0.1:1", bulk: "tcp://127.0.0.1:1", publicKey: keysC.publicKey))
        }
        #expect(wrongKey?.code == .securityRejected)
        try a.allowPeer(named: "c", publicKey: keysC.publicKey)
        let c = try Fixtures.secure("c", keys: keysC, allowed: ["a": keysA.publicKey])
        Fixtures.installEcho(on: c)
        let replies = Collector<InboundMessage>()
        a.setHandler(for: .reply) { replies.append($0) }
        try a.addPeer(c.localAddress)
        try a.trySend(Fixtures.message(.call, [9], callID: 3, from: a.localNode), to: "c", lane: .control)
        #expect(await replies.wait(forCount: 1))
        #expect(replies.values.first?.authenticatedName == "c")
        await c.shutdown()
        await a.shutdown()
    }
}
