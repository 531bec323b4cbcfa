import Testing
import Transport
import ZMQTransport

#if canImport(Glibc)
import Glibc
#endif

/// Failures that only show across OS processes: a peer killed with SIGKILL, restarted under the same name, or
/// stopped with SIGSTOP while we keep sending. Children are brigade-test-peer processes, killed and reaped by PID.
@Suite("ZMQTransport: peers in other processes", .serialized)
struct TransportProcessTests {
    /// A transport with collectors for events and replies.
    private func local() throws -> (ZMQTransport, Collector<TransportEvent>, Collector<InboundMessage>, Collector<DropReport>) {
        let events = Collector<TransportEvent>(), replies = Collector<InboundMessage>(), drops = Collector<DropReport>()
        let a = try Fixtures.insecure("a") { $0.onDrop = { drops.append($0) } }
        a.setEventHandler { events.append($0) }
        a.setHandler(for: .reply) { replies.append($0) }
        return (a, events, replies, drops)
    }

    @Test("a SIGKILLed peer is reported disconnected within a second")
    func killedPeer() async throws {
        let (a, events, replies, _) = try local()
        let b = try PeerProcess(name: "b", peer: a)
        defer { b.process.terminate() }
        #expect(await events.wait { $0.contains(.connected(peer: "b", lane: .control)) })
        try a.trySend(Fixtures.message(.call, [1], callID: 1, from: a.localNode, target: b.node.incarnation), to: "b", lane: .control)
        #expect(await replies.wait(forCount: 1))
        let start = ContinuousClock.now
        b.process.signal(SIGKILL)
        #expect(await events.wait(timeout: .seconds(5)) { $0.contains(.disconnected(peer: "b", lane: .control)) })
        let detection = ContinuousClock.now - start
        #expect(detection < .seconds(1), "disconnect reported after \(detection)")
        b.process.waitForExit()
        await a.shutdown()
    }

    @Test("a peer restarted under the same name gets nothing meant for its old life, and its old life is stale")
    func restartedPeer() async throws {
        let (a, events, replies, drops) = try local()
        let first = try PeerProcess(name: "b", peer: a)
        defer { first.process.terminate() }
        #expect(await events.wait { $0.contains(.connected(peer: "b", lane: .control)) })
        try a.trySend(Fixtures.message(.call, [1], callID: 1, from: a.localNode, target: first.node.incarnation), to: "b", lane: .control)
        #expect(await replies.wait(forCount: 1))
        first.process.signal(SIGKILL)
        first.process.waitForExit()
        #expect(await events.wait { $0.contains(.disconnected(peer: "b", lane: .control)) })

        let second = try PeerProcess(name: "b", peer: a)
        defer { second.process.terminate() }
        let (old, new) = (first.node, second.node)
        #expect(new.incarnation > old.incarnation)
        #expect(await events.wait { $0.contains(.peerRestarted(old: old, new: new)) })
        // The hello moved `a` to the new ports; wait for that connection.
        #expect(await events.wait { $0.filter { $0 == .connected(peer: "b", lane: .control) }.count >= 2 })
        try a.trySend(Fixtures.message(.call, [2], callID: 2, from: a.localNode, target: first.node.incarnation), to: "b", lane: .control)
        try a.trySend(Fixtures.message(.call, [3], callID: 3, from: a.localNode, target: second.node.incarnation), to: "b", lane: .control)
        #expect(await replies.wait(forCount: 2))
        #expect(replies.values.map(\.header.callID) == [1, 3])
        #expect(replies.values.last?.sender == second.node)
        let stats = try second.statistics()
        #expect(stats["wrongTarget"] == 1)
        #expect(stats["received"] == 1)

        // A message still claiming the old incarnation (delayed in some queue) is dropped as stale.
        let ghost = try Fixtures.insecure("b") { $0.node = first.node }
        try ghost.addPeer(a.localAddress)
        try ghost.trySend(Fixtures.message(.reply, [4], callID: 4, from: ghost.localNode), to: "a", lane: .control)
        #expect(await drops.wait { $0.contains { $0.reason == .staleIncarnation } })
        #expect(replies.count == 2)
        await ghost.shutdown()
        await a.shutdown()
    }

    @Test("while a peer is stopped (SIGSTOP), a sender's bounded queue fills, then refuses; its memory stays bounded")
    func stoppedPeer() async throws {
        // Both ends are child processes, so the sender's resident memory is its own and nothing else's.
        let queueLimit = 32 << 20
        let receiver = try PeerProcess(name: "r", peers: [])
        defer { receiver.process.terminate() }
        let sender = try PeerProcess(name: "s", peers: [receiver.announcement], extra: ["--bulk-queue-bytes", "\(queueLimit)"])
        defer { sender.process.terminate() }
        _ = try sender.process.readLine(startingWith: "EVENT connected r bulk")
        receiver.process.signal(SIGSTOP)
        let flood = try sender.ask("flood r \(1 << 20) 2048", reply: "FLOOD")
        let accepted = try #require(flood["accepted"])
        #expect(accepted > 16 && accepted < 2048, "the queue never filled: \(flood)")
        // Once full, retries are refused; a few may still slip in as libzmq drains into the kernel's socket buffer.
        let refused = try #require(flood["refused"])
        #expect(refused >= 190 && refused <= 200, "\(refused) of 200 retries refused")
        let total = accepted + (200 - refused)
        #expect(try #require(flood["queued_bytes"]) <= queueLimit)
        #expect(try #require(flood["in_flight_bytes"]) <= 8 << 20)
        let growth = try #require(flood["rss_full"]) - (try #require(flood["rss_before"]))
        #expect(growth < queueLimit + (24 << 20), "resident memory grew by \(growth >> 20) MiB for a \(queueLimit >> 20) MiB queue")
        let retries = try #require(flood["rss_after_retries"]) - (try #require(flood["rss_full"]))
        #expect(retries < 4 << 20, "200 refused sends cost \(retries >> 10) KiB")
        // Once the peer runs again, everything queued is delivered (it has no oneway handler: noHandler counts it).
        receiver.process.signal(SIGCONT)
        let delivered = await eventually(timeout: .seconds(30)) { (try? receiver.statistics()["noHandler"]) == total }
        #expect(delivered, "the receiver saw \((try? receiver.statistics()["noHandler"]) ?? -1) of \(total)")
    }
}
