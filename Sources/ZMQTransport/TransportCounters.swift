import Locks
import Synchronization
import Transport
import ZeroMQ

/// One message the transport dropped, and why: what `ZMQTransportConfiguration.onDrop` receives.
public struct DropReport: Sendable, CustomStringConvertible {
    /// The counter it went to.
    public var reason: DropReason
    /// The lane it travelled on, when known.
    public var lane: Lane?
    /// Names what was wrong: the peer, the field, the size, the incarnation…
    public var detail: String

    public var description: String { "dropped (\(reason.rawValue)\(lane.map { ", \($0)" } ?? "")): \(detail)" }
}

/// Counters behind `ZMQTransport.statistics`, updated from callers' threads and the I/O thread.
final class TransportCounters: Sendable {
    private let messagesSent = Atomic<UInt64>(0)
    private let messagesReceived = Atomic<UInt64>(0)
    private let bytesSent = Atomic<UInt64>(0)
    private let bytesReceived = Atomic<UInt64>(0)
    private let drops = Locked<[DropReason: UInt64]>([:])
    private let onDrop: (@Sendable (DropReport) -> Void)?

    init(onDrop: (@Sendable (DropReport) -> Void)?) {
        self.onDrop = onDrop
    }

    /// Counts a message handed to libzmq (hellos are the transport's own and not counted).
    func sent(_ message: OutboundMessage) {
        guard !message.isHello else { return }
        bytesSent.add(UInt64(message.size), ordering: .relaxed)
        if message.isFinal { messagesSent.add(1, ordering: .relaxed) }
    }

    func received(bytes: Int) {
        messagesReceived.add(1, ordering: .relaxed)
        bytesReceived.add(UInt64(bytes), ordering: .relaxed)
    }

    /// Counts a drop and reports it to the `onDrop` hook, if any; `detail` names what was wrong.
    func dropped(_ reason: DropReason, lane: Lane?, _ detail: @autoclosure () -> String) {
        drops.withLock { $0[reason, default: 0] += 1 }
        onDrop?(DropReport(reason: reason, lane: lane, detail: detail()))
    }

    var snapshot: TransportStatistics {
        var statistics = TransportStatistics()
        statistics.messagesSent = messagesSent.load(ordering: .relaxed)
        statistics.messagesReceived = messagesReceived.load(ordering: .relaxed)
        statistics.bytesSent = bytesSent.load(ordering: .relaxed)
        statistics.bytesReceived = bytesReceived.load(ordering: .relaxed)
        statistics.dropped = drops.withLock { $0 }
        return statistics
    }
}
