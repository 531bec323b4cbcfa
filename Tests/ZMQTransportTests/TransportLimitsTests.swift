import Testing
import Transport
import ZMQTransport
import ZeroMQ

/// Bounds: message sizes, queue sizes, waiting senders, shutdown time, configuration errors.
@Suite("ZMQTransport: limits, back-pressure and shutdown")
struct TransportLimitsTests {
    /// An address where nothing listens: messages to it wait in the queue (libzmq's IMMEDIATE refuses them).
    static let deadPeer = PeerAddress(name: "dead", control: "tcp://127.0.0.1:1", bulk: "tcp://127.0.0.1:1")

    @Test("oversized messages are refused at once with messageTooLarge and counted")
    func oversize() async throws {
        let a = try Fixtures.insecure("a") { $0.limits.maxBulkMessageSize = 8 << 20 }
        try a.addPeer(Self.deadPeer)
        let header = FrameHeader(kind: .oneway, sender: a.localNode)
        let cases: [(Message, Lane)] = [
            (Message(header: header, frames: [Buffer([UInt8](repeating: 0, count: 4 << 20))]), .control),
            (Message(header: header, frames: Array(repeating: Buffer([1]), count: 65)), .control),
            (Message(header: header, frames: [Buffer([UInt8](repeating: 0, count: 9 << 20))]), .bulk),
        ]
        for (message, lane) in cases {
            let error = #expect(throws: TransportError.self) { try a.trySend(message, to: "dead", lane: lane) }
            #expect(error?.code == .messageTooLarge)
            #expect(error?.message.contains("dead") == true)
        }
        #expect(a.statistics.dropped(.oversize) == 3)
        #expect(a.queueDepth(to: "dead", lane: .control)?.messages == 1, "only the hello is queued")
        await a.shutdown()
    }

    @Test("a full queue refuses trySend at once and makes send wait until its deadline, with bounded memory")
    func overloaded() async throws {
        let a = try Fixtures.insecure("a") {
            $0.limits.queueMessages = 100
            $0.limits.controlQueueBytes = 1 << 20
        }
        try a.addPeer(Self.deadPeer)
        let payload = Buffer([UInt8](repeating: 1, count: 10 << 10))
        var accepted = 0
        while true {
            do {
                try a.trySend(Message(header: FrameHeader(kind: .oneway, sender: a.localNode), frames: [payload]), to: "dead", lane: .control)
                accepted += 1
            } catch {
                #expect(error.code == .overloaded)
                break
            }
            if accepted > 10_000 { break }
        }
        let depth = try #require(a.queueDepth(to: "dead", lane: .control))
        #expect(accepted > 50 && accepted < 100)
        #expect(depth.bytes <= 1 << 20)
        #expect(depth.messages == accepted + 1)
        let start = ContinuousClock.now
        let error = await #expect(throws: TransportError.self) {
            try await a.send(Message(header: FrameHeader(kind: .oneway, sender: a.localNode, deadline: .after(.milliseconds(200))), frames: [payload]), to: "dead", lane: .control)
        }
        let waited = ContinuousClock.now - start
        #expect(error?.code == .overloaded)
        #expect(waited >= .milliseconds(150) && waited < .seconds(10), "send gave up after \(waited) for a 200 ms deadline")
        #expect(a.queueDepth(to: "dead", lane: .control)?.bytes == depth.bytes)
        await a.shutdown()
    }

    @Test("shutdown takes well under a second with full queues, waiting senders and dead peers; waiters fail")
    func fastShutdown() async throws {
        let a = try Fixtures.insecure("a") { $0.limits.queueMessages = 10 }
        for index in 0..<8 {
            try a.addPeer(PeerAddress(name: "dead-\(index)", control: "tcp://127.0.0.1:1", bulk: "tcp://127.0.0.1:1"))
            for _ in 0..<9 { try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "dead-\(index)", lane: .control) }
        }
        let outcomes = Collector<TransportError.Code>()
        for index in 0..<4 {
            Task {
                do throws(TransportError) {
                    try await a.send(Fixtures.message(.oneway, [2], from: a.localNode, deadline: .after(.seconds(30))), to: "dead-\(index)", lane: .control)
                } catch {
                    outcomes.append(error.code)
                }
            }
        }
        #expect(await eventually { (0..<4).allSatisfy { a.queueDepth(to: "dead-\($0)", lane: .control)?.waitingSenders == 1 } })
        let start = ContinuousClock.now
        await a.shutdown()
        let took = ContinuousClock.now - start
        #expect(took < .seconds(1), "shutdown took \(took)")
        #expect(await outcomes.wait(forCount: 4))
        #expect(outcomes.values.allSatisfy { $0 == .shutdown })
        let error = #expect(throws: TransportError.self) { try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "dead-0", lane: .control) }
        #expect(error?.code == .shutdown)
        await a.shutdown()
    }

    @Test("removing a peer fails its waiting senders and forgets it")
    func removePeer() async throws {
        let a = try Fixtures.insecure("a") { $0.limits.queueMessages = 2 }
        try a.addPeer(Self.deadPeer)
        try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "dead", lane: .control)
        let outcome = Collector<TransportError.Code>()
        Task {
            do throws(TransportError) {
                try await a.send(Fixtures.message(.oneway, [2], from: a.localNode), to: "dead", lane: .control)
            } catch {
                outcome.append(error.code)
            }
        }
        #expect(await eventually { a.queueDepth(to: "dead", lane: .control)?.waitingSenders == 1 })
        a.removePeer(named: "dead")
        #expect(await outcome.wait(forCount: 1))
        #expect(outcome.values == [.unknownPeer])
        let error = #expect(throws: TransportError.self) { try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "dead", lane: .control) }
        #expect(error?.code == .unknownPeer)
        #expect(a.queueDepth(to: "dead", lane: .control) == nil)
        await a.shutdown()
    }

    @Test("bad configurations and addresses fail with errors that name the problem")
    func configurationErrors() async throws {
        let empty = #expect(throws: TransportError.self) { try Fixtures.insecure("") }
        #expect(empty?.code == .invalidConfiguration)
        let badEndpoint = #expect(throws: TransportError.self) { try Fixtures.insecure("x") { $0.controlEndpoint = "tcp://no-such-host-x:0" } }
        #expect(badEndpoint?.code == .invalidAddress)
        #expect(badEndpoint?.message.contains("no-such-host-x") == true)
        let a = try Fixtures.insecure("a")
        let inUse = #expect(throws: TransportError.self) { try Fixtures.insecure("b") { $0.controlEndpoint = a.localAddress.control } }
        #expect(inUse?.code == .invalidAddress)
        let badKey = #expect(throws: TransportError.self) {
            try Fixtures.secure("c", keys: try CurveKeyPair.generate(), allowed: ["d": "not a key"])
        }
        #expect(badKey?.code == .invalidConfiguration)
        #expect(badKey?.message.contains("'d'") == true)
        let badPeer = #expect(throws: TransportError.self) {
            try a.addPeer(PeerAddress(name: "e", control: "bogus://x", bulk: "tcp://127.0.0.1:1"))
        }
        #expect(badPeer?.code == .invalidAddress)
        #expect(badPeer?.message.contains("bogus://x") == true)
        let unknown = #expect(throws: TransportError.self) { try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "nobody", lane: .control) }
        #expect(unknown?.code == .unknownPeer)
        await a.shutdown()
    }
}
