import Testing
import Transport
import ZMQTransport
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Hostile bytes: raw TCP garbage, malformed multipart messages, oversize frames, and a seeded fuzz run.
@Suite("ZMQTransport: malformed input")
struct TransportRobustnessTests {
    /// A transport that records deliveries (of every kind but hello) and drops, and every outcome in one place.
    private func target(outcomes: Collector<Bool> = Collector(), configure: (inout ZMQTransportConfiguration) -> Void = { _ in }) throws
        -> (ZMQTransport, Collector<InboundMessage>, Collector<DropReport>)
    {
        let delivered = Collector<InboundMessage>(), drops = Collector<DropReport>()
        let a = try Fixtures.insecure("a") {
            $0.onDrop = { report in
                drops.append(report)
                outcomes.append(false)
            }
            configure(&$0)
        }
        for raw in 1...20 where raw != MessageKind.hello.rawValue && raw != MessageKind.chunk.rawValue {
            a.setHandler(for: MessageKind(rawValue: UInt8(raw))) { message in
                delivered.append(message)
                outcomes.append(true)
            }
        }
        return (a, delivered, drops)
    }

    /// Proves `a` still works: a well-behaved peer's message gets through.
    private func stillWorks(_ a: ZMQTransport, _ delivered: Collector<InboundMessage>) async throws -> Bool {
        let b = try Fixtures.insecure("b")
        try b.addPeer(a.localAddress)
        try await b.send(Fixtures.message(.oneway, Array("alive".utf8), from: b.localNode), to: "a", lane: .control)
        let ok = await delivered.wait { $0.contains { $0.sender == b.localNode } }
        await b.shutdown()
        return ok
    }

    @Test("garbage bytes on the TCP port are rejected by the handshake and crash nothing")
    func rawGarbage() async throws {
        let (a, delivered, _) = try target()
        let port = UInt16(a.localAddress.control.split(separator: ":").last!)!
        var rng = SplitMix64(seed: 7)
        for attempt in 0..<20 {
            var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if attempt % 2 == 1 { bytes.replaceSubrange(0..<10, with: [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]) }  // a ZMTP signature, then junk
            try sendRawTCP(bytes, port: port)
        }
        #expect(try await stillWorks(a, delivered))
        #expect(delivered.values.allSatisfy { $0.frames.first?.bytes == Array("alive".utf8) })
        await a.shutdown()
    }

    @Test("malformed multipart messages are each dropped and counted as malformed, naming what was wrong")
    func malformedMessages() async throws {
        let (a, delivered, drops) = try target()
        let raw = try RawDealer(endpoint: a.localAddress.control)
        let sender = NodeID(name: "raw", incarnation: 5)
        let good = FrameHeader(kind: .oneway, sender: sender).encoded()
        func patched(_ offset: Int, _ value: UInt8) -> [UInt8] {
            var bytes = good
            bytes[offset] = value
            return bytes
        }
        let chunkHeader = FrameHeader(kind: .chunk, callID: 3, sender: sender).encoded()
        let cases: [(String, [[UInt8]])] = [
            ("short header", [[1, 2, 3]]),
            ("bad magic", [patched(0, 0)]),
            ("bad version", [patched(2, 9)]),
            ("kind 0", [patched(3, 0)]),
            ("reserved bits", [patched(6, 1)]),
            ("name length", [patched(40, 200)]),
            ("too many frames", [good] + Array(repeating: [1], count: 65)),
            ("chunk without descriptor", [chunkHeader]),
            ("chunk with a bad descriptor", [chunkHeader, [1, 2, 3, 4]]),
            ("hello with a bad address", [FrameHeader(kind: .hello, sender: sender).encoded(), [9, 9, 9]]),
        ]
        for (_, parts) in cases { try raw.send(parts) }
        try raw.send([good, Array("fine".utf8)])
        #expect(await delivered.wait(forCount: 1))
        #expect(delivered.values.first?.frames.first?.bytes == Array("fine".utf8))
        #expect(drops.count == cases.count)
        #expect(drops.values.allSatisfy { $0.reason == .malformed && !$0.detail.isEmpty })
        #expect(a.statistics.dropped(.malformed) == UInt64(cases.count))
        raw.close()
        await a.shutdown()
    }

    @Test("a frame over MAXMSGSIZE costs its sender the connection, not the receiver")
    func oversizeFrame() async throws {
        let (a, delivered, _) = try target { $0.limits.maxControlMessageSize = 64 << 10 }
        let raw = try RawDealer(endpoint: a.localAddress.control)
        try raw.send([FrameHeader(kind: .oneway, sender: NodeID(name: "raw", incarnation: 1)).encoded(), [UInt8](repeating: 0, count: 128 << 10)])
        #expect(try await stillWorks(a, delivered))
        #expect(delivered.values.allSatisfy { $0.sender.name == "b" })
        raw.close()
        await a.shutdown()
    }

    @Test("seeded fuzz: thousands of random and mutated messages each end delivered or dropped, never crash")
    func fuzz() async throws {
        let outcomes = Collector<Bool>()
        let (a, delivered, drops) = try target(outcomes: outcomes)
        let raw = try RawDealer(endpoint: a.localAddress.control)
        var rng = SplitMix64(seed: 0xF022)
        let names = ["raw", "x", "node-b", "ünï"]
        let count = 3000
        for _ in 0..<count {
            var header = FrameHeader(
                kind: MessageKind(rawValue: UInt8.random(in: 0...12, using: &rng)),
                callID: rng.next(),
                sender: NodeID(name: names[Int.random(in: 0..<names.count, using: &rng)], incarnation: UInt64.random(in: 1...4, using: &rng)),
                targetIncarnation: Bool.random(using: &rng) ? 0 : (Bool.random(using: &rng) ? a.localNode.incarnation : rng.next()),
                deadline: Bool.random(using: &rng) ? .none : Deadline(nanosecondsSinceEpoch: rng.next()))
            if header.kind.rawValue == 0 { header.kind = MessageKind.oneway }
            var encoded = header.encoded()
            // Mutate a few bytes of the header half the time.
            if Bool.random(using: &rng) {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    encoded[Int.random(in: 0..<encoded.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            // Occasionally a header that is pure noise or truncated.
            if Int.random(in: 0..<10, using: &rng) == 0 {
                encoded = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let frameCount = Int.random(in: 0..<8, using: &rng) == 0 ? Int.random(in: 60...70, using: &rng) : Int.random(in: 0...3, using: &rng)
            let frames = (0..<frameCount).map { _ in (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            try raw.send([encoded] + frames)
        }
        #expect(await outcomes.wait(forCount: count, timeout: .seconds(30)))
        #expect(delivered.count + drops.count == count, "every message has exactly one outcome")
        #expect(drops.values.contains { $0.reason == .malformed })
        #expect(drops.values.contains { $0.reason == .wrongTarget })
        #expect(drops.values.contains { $0.reason == .staleIncarnation })
        #expect(drops.values.contains { $0.reason == .expired })
        #expect(a.statistics.totalDropped == UInt64(drops.count))
        #expect(try await stillWorks(a, delivered))
        raw.close()
        await a.shutdown()
    }
}

/// A bare libzmq DEALER that sends whatever parts it is given, with no hello and no checks.
final class RawDealer {
    let context: ZMQContext
    let socket: ZMQSocket

    init(endpoint: String) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(context, type: .dealer)
        try socket.set(.linger, 0)
        try socket.connect(endpoint)
    }

    func send(_ parts: [[UInt8]]) throws { try socket.sendMultipart(parts) }

    func close() {
        socket.close()
        context.terminate()
    }
}

/// Connects to 127.0.0.1:`port`, writes `bytes`, and closes.
func sendRawTCP(_ bytes: [UInt8], port: UInt16) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("connect to port \(port): \(errno)") }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// A test failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
