import Synchronization
import Transport
import ZeroMQ

/// A run of bytes to send as one frame: all of a `Buffer`, or a slice of one (a chunk of a large frame).
struct OutboundPart: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    /// Keeps the bytes alive until libzmq is done with them.
    let owner: Buffer

    init(_ buffer: Buffer) {
        base = buffer.baseAddress
        count = buffer.count
        owner = buffer
    }

    init(_ buffer: Buffer, offset: Int, count: Int) {
        base = buffer.baseAddress.map { $0 + offset }
        self.count = count
        owner = buffer
    }
}

/// One message as queued for a peer: its header and frames, not yet encoded. Large bulk messages become several of
/// these (chunks), of which only the last counts as a message sent.
struct OutboundMessage: Sendable {
    /// The frames to send: whole buffers (a message as the sender gave it, kept without copying its frame list), or
    /// slices of buffers (a chunk).
    enum Parts: Sendable {
        case whole([Buffer])
        case slices([OutboundPart])
    }

    var header: FrameHeader
    var parts: Parts
    /// Bytes on the wire (header and parts).
    var size: Int
    /// True for a whole message and for the last chunk of one.
    var isFinal = true
    /// The bulk transfer this chunk belongs to (0 for a whole message).
    var transferID: UInt64 = 0

    /// A whole message; `payloadSize` is the sum of the frames' sizes.
    init(header: FrameHeader, frames: [Buffer], payloadSize: Int) {
        self.header = header
        parts = .whole(frames)
        size = header.encodedSize + payloadSize
    }

    init(header: FrameHeader, parts: [OutboundPart]) {
        self.header = header
        self.parts = .slices(parts)
        size = header.encodedSize + parts.reduce(0) { $0 + $1.count }
    }

    var partCount: Int {
        switch parts {
        case .whole(let frames): frames.count
        case .slices(let slices): slices.count
        }
    }

    func part(_ index: Int) -> OutboundPart {
        switch parts {
        case .whole(let frames): OutboundPart(frames[index])
        case .slices(let slices): slices[index]
        }
    }

    var isHello: Bool { header.kind == .hello }
}

/// What one send hands a mailbox: one message, or the chunks of one, in order. A single message needs no array.
struct OutboundBatch: RandomAccessCollection, Sendable {
    private let head: OutboundMessage
    private let tail: [OutboundMessage]

    init(_ message: OutboundMessage) {
        head = message
        tail = []
    }

    /// `messages` must not be empty.
    init(_ messages: [OutboundMessage]) {
        head = messages[0]
        tail = Array(messages.dropFirst())
    }

    var startIndex: Int { 0 }
    var endIndex: Int { 1 + tail.count }
    subscript(index: Int) -> OutboundMessage { index == 0 ? head : tail[index - 1] }
}

/// Counts bytes handed to libzmq without copying that libzmq has not released yet (bulk memory in flight).
final class InFlightGauge: Sendable {
    private let current = Atomic<Int>(0)
    private let highWater = Atomic<Int>(0)

    func add(_ count: Int) {
        let now = current.add(count, ordering: .relaxed).newValue
        var seen = highWater.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = highWater.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func remove(_ count: Int) { current.subtract(count, ordering: .relaxed) }

    var bytes: Int { current.load(ordering: .relaxed) }
    var highWaterBytes: Int { highWater.load(ordering: .relaxed) }
    func resetHighWater() { highWater.store(current.load(ordering: .relaxed), ordering: .relaxed) }
}

/// The owner libzmq keeps for a zero-copy frame: releases the buffer and updates the gauge when libzmq frees it.
private final class InFlightToken {
    let owner: Buffer
    let count: Int
    let gauge: InFlightGauge

    init(owner: Buffer, count: Int, gauge: InFlightGauge) {
        self.owner = owner
        self.count = count
        self.gauge = gauge
        gauge.add(count)
    }

    deinit { gauge.remove(count) }
}

/// Writes queued messages to a DEALER without blocking.
struct MessageWriter {
    let zeroCopyThreshold: Int
    let gauge: InFlightGauge

    /// Sends `message` with `ZMQ_DONTWAIT`. Returns false, having delivered nothing, when the socket cannot take it
    /// now; the caller keeps the message and sends it whole later. Never blocks.
    ///
    /// libzmq checks its high-water mark on the first part only, so once the header is in, a later part is refused
    /// only when the connection died under the message. libzmq has then rolled back the parts it took (or they sit
    /// in a pipe that is gone) and drops the parts still to come, so those are sent to end the message (sending the
    /// refused part blocking instead would wait for a new connection, forever if the peer is dead, and then deliver
    /// a message's tail as a message of its own).
    func write(_ message: OutboundMessage, to socket: ZMQSocket) throws(ZMQError) -> Bool {
        var head = try ZMQMessage(count: message.header.encodedSize)
        head.withUnsafeMutableBytes { _ = message.header.encode(into: $0) }
        let count = message.partCount
        guard try socket.send(&head, more: count > 0, dontWait: true) else { return false }
        let last = count - 1
        for index in 0..<count {
            var frame = try makeFrame(message.part(index))
            guard try socket.send(&frame, more: index < last, dontWait: true) else {
                for rest in (index + 1)..<count {
                    var dropped = try makeFrame(message.part(rest))
                    _ = try socket.send(&dropped, more: rest < last, dontWait: true)
                }
                return false
            }
        }
        return true
    }

    private func makeFrame(_ part: OutboundPart) throws(ZMQError) -> ZMQMessage {
        let bytes = UnsafeRawBufferPointer(start: part.base, count: part.count)
        guard part.count >= zeroCopyThreshold else { return try ZMQMessage(copying: bytes) }
        return try ZMQMessage(borrowing: bytes, owner: InFlightToken(owner: part.owner, count: part.count, gauge: gauge))
    }
}
