import Testing
import Transport
@testable import ZMQTransport

/// The chunk wire format and the reassembler, without sockets.
@Suite("ZMQTransport: chunk format and reassembly")
struct ChunkReassemblyTests {
    let sender = NodeID(name: "a", incarnation: 7)
    let limits = Reassembler.Limits(
        chunkSize: 16, maxMessageSize: 1000, maxFrames: 8, maxTransfersPerSender: 2, maxTransfers: 3,
        idleTimeoutNanoseconds: 1_000_000_000)

    /// Splits `frames` into chunks of 16 bytes and decodes each chunk's descriptor and data back.
    private func chunks(_ frames: [[UInt8]], transfer: UInt64 = 1) throws -> [(FrameHeader, ChunkDescriptor, [UInt8])] {
        let header = FrameHeader(kind: .data, callID: 42, sender: sender, deadline: .after(.seconds(60)))
        return try ChunkSplitter.split(header: header, frames: frames.map(Buffer.init), transferID: transfer, chunkSize: 16).map { chunk in
            let descriptor = try chunk.part(0).owner.withUnsafeBytes { (bytes) throws(TransportError) in
                try ChunkDescriptor.decode(bytes, maxFrames: 8)
            }
            let data = (1..<chunk.partCount).map(chunk.part).flatMap { Array(UnsafeRawBufferPointer(start: $0.base, count: $0.count)) }
            return (chunk.header, descriptor, data)
        }
    }

    private func feed(_ reassembler: inout Reassembler, _ chunk: (FrameHeader, ChunkDescriptor, [UInt8])) throws(Reassembler.Rejection)
        -> Reassembler.Completed?
    {
        guard let target = try reassembler.begin(chunk.1, from: chunk.0, now: 0) else { return nil }
        chunk.2.withUnsafeBytes { target.copyMemory(from: $0) }
        return try reassembler.finish(chunk.1, from: chunk.0.sender, written: chunk.2.count)
    }

    @Test("a message split across chunks (frames straddling chunk edges) comes back whole")
    func roundTrip() throws {
        let frames: [[UInt8]] = [Array(0..<10), [], Array(100..<140), [7]]
        let pieces = try chunks(frames)
        #expect(pieces.count == 4)
        #expect(pieces.allSatisfy { $0.0.kind == .chunk && $0.0.callID == 1 })
        #expect(pieces[0].1.original?.header.callID == 42)
        var reassembler = Reassembler(limits: limits)
        var completed: Reassembler.Completed?
        for piece in pieces { completed = try feed(&reassembler, piece) }
        let message = try #require(completed)
        #expect(message.header.kind == .data && message.header.callID == 42)
        #expect(message.frames.map(\.bytes) == frames)
        #expect(reassembler.activeTransfers == 0)
    }

    @Test("out-of-order, oversize, overlong and excess transfers are refused with a reason, and only once")
    func rejections() throws {
        let pieces = try chunks([Array(repeating: 1, count: 40)])
        var reassembler = Reassembler(limits: limits)
        _ = try feed(&reassembler, pieces[0])
        #expect(throws: Reassembler.Rejection.self) { try feed(&reassembler, pieces[2]) }
        // The rest of an abandoned transfer is ignored silently.
        #expect(try reassembler.begin(pieces[1].1, from: pieces[1].0, now: 0) == nil)

        var big = try chunks([Array(repeating: 1, count: 40)], transfer: 2)[0]
        big.1.totalBytes = 5000
        big.1.original?.frameSizes = [5000]
        let oversize = #expect(throws: Reassembler.Rejection.self) { try feed(&reassembler, big) }
        #expect(oversize?.reason == .oversize)

        let unknown = try chunks([Array(repeating: 1, count: 40)], transfer: 3)[1]
        let stray = #expect(throws: Reassembler.Rejection.self) { try feed(&reassembler, unknown) }
        #expect(stray?.reason == .malformed)

        for transfer in 10...11 { _ = try feed(&reassembler, try chunks([Array(repeating: 1, count: 40)], transfer: UInt64(transfer))[0]) }
        let excess = #expect(throws: Reassembler.Rejection.self) {
            try feed(&reassembler, try chunks([Array(repeating: 1, count: 40)], transfer: 12)[0])
        }
        #expect(excess?.reason == .queueFull)
    }

    @Test("stalled transfers expire, and a restart drops the old incarnation's transfers")
    func expiryAndRestart() throws {
        var reassembler = Reassembler(limits: limits)
        _ = try feed(&reassembler, try chunks([Array(repeating: 1, count: 40)], transfer: 1)[0])
        #expect(reassembler.expire(now: 500_000_000).isEmpty)
        let stalled = reassembler.expire(now: 2_000_000_000)
        #expect(stalled.map(\.reason) == [.malformed])
        #expect(stalled.first?.message.contains("stalled") == true)
        _ = try feed(&reassembler, try chunks([Array(repeating: 1, count: 40)], transfer: 2)[0])
        let dropped = reassembler.dropTransfers(from: "a", olderThan: 8)
        #expect(dropped.map(\.reason) == [.staleIncarnation])
        #expect(reassembler.activeTransfers == 0)
    }

    private func descriptor(_ bytes: [UInt8]) -> Result<ChunkDescriptor, TransportError> {
        bytes.withUnsafeBytes { raw in Result { () throws(TransportError) in try ChunkDescriptor.decode(raw, maxFrames: 8) } }
    }

    private func hello(_ bytes: [UInt8]) -> Result<PeerAddress, TransportError> {
        bytes.withUnsafeBytes { raw in Result { () throws(TransportError) in try HelloCodec.decode(raw) } }
    }

    @Test("descriptor decoding rejects every truncation and inconsistency, naming the field")
    func descriptorErrors() throws {
        let valid = try chunks([Array(repeating: 1, count: 40)])[0].1.encode()
        #expect(try descriptor(valid).get().totalBytes == 40)
        for length in 0..<valid.count {
            #expect(throws: TransportError.self) { try descriptor(Array(valid[..<length])).get() }
        }
        var badSum = try chunks([Array(repeating: 1, count: 40)])[0].1
        badSum.original?.frameSizes = [39]
        let error = #expect(throws: TransportError.self) { try descriptor(badSum.encode()).get() }
        #expect(error?.message.contains("add up") == true)
    }

    @Test("the hello payload round-trips and rejects garbage")
    func helloCodec() throws {
        let address = PeerAddress(name: "node-a", control: "tcp://10.0.0.1:7100", bulk: "tcp://10.0.0.1:7101", publicKey: "k")
        let bytes = HelloCodec.encode(address)
        #expect(try hello(bytes).get() == address)
        for length in 0..<bytes.count {
            #expect(throws: TransportError.self) { try hello(Array(bytes[..<length])).get() }
        }
    }
}
