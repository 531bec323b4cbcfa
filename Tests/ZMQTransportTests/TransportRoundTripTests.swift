import Synchronization
import Testing
import Transport
import ZMQTransport
import ZeroMQ

@Suite("ZMQTransport: messaging between two transports")
struct TransportRoundTripTests {
    @Test("a call reaches the far handler and its reply comes back, with hello-based peer discovery")
    func roundTrip() async throws {
        let a = try Fixtures.insecure("a")
        let b = try Fixtures.insecure("b")
        // Only `a` knows `b`: `b` learns `a` from the hello and replies through its own mailbox.
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: Array("ping".utf8), callID: 7))
        #expect(reply.header.callID == 7)
        #expect(reply.sender == b.localNode)
        #expect(reply.frames.map(\.bytes) == [Array("ping".utf8)])
        #expect(reply.authenticatedName == nil)
        #expect(a.statistics.messagesReceived == 1)
        #expect(b.statistics.messagesReceived == 1)
        #expect(a.statistics.messagesSent == 1)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("thousands of concurrent calls from many tasks all get their own reply")
    func concurrentCalls() async throws {
        let a = try Fixtures.insecure("a")
        let b = try Fixtures.insecure("b")
        Fixtures.installEcho(on: b)
        let replies = Collector<UInt64>()
        a.setHandler(for: .reply) { message in
            // The payload echoes the call id: check that every reply carries its own call's bytes.
            let echoed = message.frames[0].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            if echoed == message.header.callID { replies.append(echoed) }
        }
        try a.addPeer(b.localAddress)
        let tasks = 16, callsPerTask = 250
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for call in 0..<callsPerTask {
                        let id = UInt64(task * callsPerTask + call + 1)
                        let payload = withUnsafeBytes(of: id) { Array($0) }
                        try await a.send(Fixtures.message(.call, payload, callID: id, from: a.localNode), to: "b", lane: .control)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await replies.wait(forCount: tasks * callsPerTask, timeout: .seconds(30)))
        #expect(Set(replies.values) == Set((1...UInt64(tasks * callsPerTask))))
        #expect(b.statistics.totalDropped == 0)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("messages on one lane arrive in the order they were sent")
    func ordering() async throws {
        let a = try Fixtures.insecure("a")
        let b = try Fixtures.insecure("b")
        let received = Collector<UInt32>()
        b.setHandler(for: .oneway) { message in
            received.append(message.frames[0].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        }
        try a.addPeer(b.localAddress)
        let count: UInt32 = 3000
        for index in 0..<count {
            let payload = withUnsafeBytes(of: index) { Array($0) }
            try await a.send(Fixtures.message(.oneway, payload, from: a.localNode), to: "b", lane: .control)
        }
        #expect(await received.wait(forCount: Int(count)))
        #expect(received.values == Array(0..<count))
        await a.shutdown()
        await b.shutdown()
    }

    @Test("handlers run on the I/O thread, and tasks that prefer ioExecutor run there too")
    func ioExecutor() async throws {
        let a = try Fixtures.insecure("a")
        let b = try Fixtures.insecure("b")
        let onThread = Collector<Bool>()
        b.setHandler(for: .oneway) { [unowned b] _ in onThread.append(b.isOnIOThread) }
        try a.addPeer(b.localAddress)
        try a.trySend(Fixtures.message(.oneway, [1], from: a.localNode), to: "b", lane: .control)
        #expect(await onThread.wait(forCount: 1))
        #expect(onThread.values == [true])
        let executor = try #require(a.ioExecutor)
        let ranThere = await withTaskExecutorPreference(executor) { a.isOnIOThread }
        #expect(ranThere)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("a 64 MiB bulk message arrives intact in chunks, with bounded bytes in flight")
    func largeBulkTransfer() async throws {
        let chunk = 4 << 20
        let a = try Fixtures.insecure("a") { $0.limits.bulkChunkSize = chunk }
        let b = try Fixtures.insecure("b") { $0.limits.bulkChunkSize = chunk }
        let size = 64 << 20
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for word in 0..<(size / 8) {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            payload.storeBytes(of: state, toByteOffset: word * 8, as: UInt64.self)
        }
        let expected = checksum(UnsafeRawBufferPointer(payload))
        let buffer = Buffer(adoptingMalloced: payload.baseAddress!, count: size)
        let received = Collector<(count: Int, sum: UInt64, frames: [Int])>()
        b.setHandler(for: .data) { message in
            let sum = message.frames[1].withUnsafeBytes { checksum($0) }
            received.append((message.frames[1].count, sum, message.frames.map(\.count)))
        }
        try a.addPeer(b.localAddress)
        a.resetInFlightHighWater()
        let message = Message(
            header: FrameHeader(kind: .data, callID: 99, sender: a.localNode, deadline: .after(.seconds(60))),
            frames: [Buffer(Array("tensor header".utf8)), buffer, .empty])
        try await a.send(message, to: "b", lane: .bulk)
        #expect(await received.wait(forCount: 1, timeout: .seconds(60)))
        let arrived = try #require(received.values.first)
        #expect(arrived.frames == [13, size, 0])
        #expect(arrived.sum == expected)
        // Bytes handed to libzmq but not yet written stay near (send HWM + 1) chunks, far below the message.
        let highWater = a.zeroCopyBytesInFlight.highWater
        #expect(highWater > 0)
        #expect(highWater <= (Int(a.configuration.limits.bulkHighWaterMark) + 2) * chunk)
        #expect(b.statistics.messagesReceived == 1)
        #expect(b.statistics.totalDropped == 0)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("under CURVE a round trip works and messages carry the authenticated node name")
    func curveRoundTrip() async throws {
        let keysA = try CurveKeyPair.generate(), keysB = try CurveKeyPair.generate()
        let allowed = ["a": keysA.publicKey, "b": keysB.publicKey]
        let a = try Fixtures.secure("a", keys: keysA, allowed: allowed)
        let b = try Fixtures.secure("b", keys: keysB, allowed: allowed)
        #expect(a.localAddress.publicKey == keysA.publicKey)
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: [1, 2, 3], callID: 1))
        #expect(reply.authenticatedName == "b")
        #expect(reply.frames.first?.bytes == [1, 2, 3])
        await a.shutdown()
        await b.shutdown()
    }
}

/// A cheap order-sensitive checksum over 8-byte words (the tail bytes folded in one by one).
func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var sum: UInt64 = 0xCBF2_9CE4_8422_2325
    let words = bytes.count / 8
    for index in 0..<words {
        sum = (sum ^ bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* 0x100_0000_01B3
    }
    for index in (words * 8)..<bytes.count { sum = (sum ^ UInt64(bytes[index])) &* 0x100_0000_01B3 }
    return sum
}
